// Opening a socket to a Redis server and running the handshake (HELLO / AUTH / CLIENT SETNAME /
// SELECT), shared by Connection and Subscriber. Both block the calling greenlet, each step bounded
// by Options::connect_timeout.
#pragma once

#include "fern/clients/redis/options.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"
#include "fern/net/socket.hpp"

namespace fern::redis::detail {

// A connected socket (TCP_NODELAY on TCP). Throws std::system_error naming the endpoint.
net::Socket open_socket(const Options& options);

// Sends the handshake and checks its replies, leaving `socket` with no timeout. An error reply
// throws ReplyError (WRONGPASS, NOPROTO, ...), anything else std::system_error.
void run_handshake(net::Socket& socket, ReplyParser& parser, const Options& options);

}  // namespace fern::redis::detail
