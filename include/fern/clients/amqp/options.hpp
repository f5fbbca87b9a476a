// Options: where an AMQP connection goes and what it asks for: host and port, PLAIN credentials,
// virtual host, TLS, and the limits proposed in the handshake (frame_max, channel_max, heartbeat),
// each settled as the smaller of ours and the broker's with 0 meaning "no limit". A plain value;
// nothing here blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "fern/base/clock.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"
#include "fern/net/tls_context.hpp"

namespace fern::amqp {

struct Options {
  std::string host = "127.0.0.1";  // a numeric address or a name (resolved without blocking the hub)
  std::uint16_t port = 5672;
  std::string user = "guest";  // PLAIN authentication
  std::string password = "guest";
  std::string vhost = "/";

  // TLS: when set, the connection runs TLS over TCP with this context (verification as the
  // context says, on by default) and checks the certificate against `tls_server_name`, or `host`
  // when that is empty. Shared so Options stays copyable.
  std::shared_ptr<const net::TlsContext> tls{};
  std::string tls_server_name{};

  // Proposed limits; the broker's tune may lower them. 0 proposes "no limit" (for heartbeat: off).
  std::uint32_t frame_max = 131072;
  std::uint16_t channel_max = 2047;
  std::chrono::seconds heartbeat{60};

  // Bounds connecting, TLS and the whole AMQP handshake.
  Duration connect_timeout = std::chrono::seconds(10);
  // The default bound on each synchronous method's wait for its reply (declare, bind, qos, ...)
  // and on opening a channel. kForever: none. A fern::Timeout scope bounds a call as well.
  Duration rpc_timeout = std::chrono::seconds(30);

  // Sent in connection.start-ok as "connection_name" (shown by the management UI), when not empty.
  std::string connection_name{};
  // Extra client properties merged into start-ok (product, version and capabilities are fern's).
  FieldTable client_properties{};

  // The output buffer size past which publishers park until the socket takes some of it: bounds
  // the memory of unconfirmed publishing into a slow broker.
  std::size_t max_pending_output = 256 * 1024;

  // "127.0.0.1:5672", for messages.
  std::string endpoint() const { return host + ":" + std::to_string(port); }
};

}  // namespace fern::amqp
