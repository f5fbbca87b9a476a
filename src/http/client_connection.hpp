// The HTTP client's connections and its per-origin pool of idle ones (private to src/http).
//
// A ClientConnection reads straight into its ResponseParser (prepare/commit), not through a
// net::Stream: the parser owns the receive buffer, and a Stream's buffer would be a second copy of
// every byte. Requests are serialized into `out` (its capacity is reused) and sent in one write when
// the body is small.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/http/headers.hpp"
#include "fern/http/response_parser.hpp"
#include "fern/net/transport.hpp"

namespace fern::http::detail {

// The timeout a single wait gets so that it ends by `deadline` (kForever for no deadline).
Duration time_left(TimePoint deadline) noexcept;

struct ClientConnection {
  ClientConnection(std::unique_ptr<net::Transport> transport, int fd, bool tls, std::string origin,
                   const ParserLimits& limits);

  // The next parser event other than need_data, reading as needed until `deadline`. On a read
  // failure sets `ec` and returns need_data; end of stream is fed to the parser.
  ParseEvent next_event(TimePoint deadline, std::error_code& ec);
  void write_all(std::string_view data, TimePoint deadline, std::error_code& ec);
  // Whether an idle connection can no longer carry a request: the server closed it (or sent bytes
  // nobody asked for). One non-blocking peek; only for plain TCP (TLS may hold session tickets).
  bool unusable_when_idle() const noexcept;

  std::unique_ptr<net::Transport> transport;
  int fd;
  bool tls;
  std::string origin;
  ResponseParser parser;
  TimePoint idle_since{};
  std::uint64_t received = 0;  // bytes received since the current request was sent
  // Bytes of the current request the transport took: zero proves the server never saw it.
  std::uint64_t sent = 0;
  std::string out;  // the request being sent
  std::vector<HeaderField> fields;
};

// Idle keep-alive connections per origin. The most recently used one is handed out first (most
// likely still open); the oldest are dropped past max_idle or idle_expiry.
class ConnectionPool {
 public:
  ConnectionPool(std::size_t max_idle_per_origin, Duration idle_expiry) noexcept
      : max_idle_(max_idle_per_origin), expiry_(idle_expiry) {}

  std::unique_ptr<ClientConnection> take(std::string_view origin, TimePoint now);
  void put(std::unique_ptr<ClientConnection> connection, TimePoint now);
  std::size_t idle(std::string_view origin) const;
  std::size_t idle() const;
  void clear() noexcept { idle_.clear(); }

 private:
  using Idle = std::deque<std::unique_ptr<ClientConnection>>;
  void expire(Idle& idle, TimePoint now);

  std::size_t max_idle_;
  Duration expiry_;
  std::map<std::string, Idle, std::less<>> idle_;
};

}  // namespace fern::http::detail
