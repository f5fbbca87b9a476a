// Name resolution that never blocks the hub: answers as getaddrinfo would (/etc/hosts, the
// nsswitch order, IPv4 and IPv6) while only the calling greenlet waits. Numeric addresses are
// parsed in place; names go to the system resolver on the hub's thread pool. Failures throw
// std::system_error in resolver_category() (the EAI_* code and gai_strerror's text, naming the host),
// or Errc::timed_out after the timeout.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/net/address.hpp"

namespace fern::net {

struct ResolveOptions {
  int family = AF_UNSPEC;         // AF_INET, AF_INET6 or both
  int socket_type = SOCK_STREAM;  // one answer per address, not per socket type
  int flags = AI_ADDRCONFIG;      // getaddrinfo's hints.ai_flags
  Duration timeout = std::chrono::seconds(30);
};

// The addresses of `host` with `port` filled in, in the system resolver's order.
std::vector<Address> resolve(std::string_view host, std::uint16_t port, const ResolveOptions& options = {});

// Reverse resolution (getnameinfo, gevent's gethostbyaddr): the host name of `address`, from
// /etc/hosts or DNS in the nsswitch order, on the thread pool. With `name_required` (NI_NAMEREQD) an
// address without a name is EAI_NONAME; without it the numeric form comes back.
std::string resolve_name(const Address& address, bool name_required = true,
                         Duration timeout = std::chrono::seconds(30));

// getaddrinfo's error codes (EAI_NONAME, ...) as std::error_code values.
const std::error_category& resolver_category() noexcept;

}  // namespace fern::net
