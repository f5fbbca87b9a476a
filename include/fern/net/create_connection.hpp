// create_connection: a connected TCP socket from a host name (or numeric address) and a port, as
// Python's socket.create_connection: resolve without blocking the hub, then try each address in
// the resolver's order until one connects, all within one timeout.
#pragma once

#include <cstdint>
#include <string_view>

#include "fern/base/clock.hpp"
#include "fern/net/socket.hpp"

namespace fern::net {

// The socket has TCP_NODELAY set and `timeout` as its default timeout for later calls. Throws the
// last connect error (naming host, port and address), a resolver error, or Errc::timed_out.
Socket create_connection(std::string_view host, std::uint16_t port, Duration timeout = kForever);

}  // namespace fern::net
