// The HTTP client's connections and connection pool (see client_connection.hpp).
#include "client_connection.hpp"

#include <utility>

#include "fern/base/error.hpp"
#include "fern/net/idle_probe.hpp"

namespace fern::http::detail {
namespace {

// Bytes asked of each read: a whole small response in one, big bodies in few.
constexpr std::size_t kReadSize = 16 * 1024;

}  // namespace

Duration time_left(TimePoint deadline) noexcept {
  if (deadline == TimePoint::max()) return kForever;
  Duration left = deadline - Clock::now();
  return left < Duration::zero() ? Duration::zero() : left;
}

ClientConnection::ClientConnection(std::unique_ptr<net::Transport> transport_in, int fd_in, bool tls_in,
                                   std::string origin_in, const ParserLimits& limits)
    : transport(std::move(transport_in)),
      fd(fd_in),
      tls(tls_in),
      origin(std::move(origin_in)),
      parser(limits) {}

ParseEvent ClientConnection::next_event(TimePoint deadline, std::error_code& ec) {
  for (;;) {
    ParseEvent event = parser.next_event();
    if (event != ParseEvent::need_data) return event;
    std::span<char> room = parser.prepare(kReadSize);
    transport->set_timeout(time_left(deadline));
    std::size_t n = transport->read_some(room.data(), room.size(), ec);
    parser.commit(ec ? 0 : n);
    if (ec) return ParseEvent::need_data;
    if (n == 0) parser.feed_eof();
    received += n;
  }
}

void ClientConnection::write_all(std::string_view data, TimePoint deadline, std::error_code& ec) {
  while (!data.empty()) {
    transport->set_timeout(time_left(deadline));
    std::size_t n = transport->write_some(data.data(), data.size(), ec);
    if (ec) return;
    sent += n;
    data.remove_prefix(n);
  }
}

bool ClientConnection::unusable_when_idle() const noexcept {
  if (fd < 0) return false;
  // Under TLS unread bytes may be a session ticket, not a sign of death: ask only about the FIN.
  if (tls) return net::peer_hung_up(fd);
  return net::probe_idle(fd) != net::IdleState::quiet;  // closed, or bytes nobody asked for
}

void ConnectionPool::expire(Idle& idle, TimePoint now) {
  while (!idle.empty() && now - idle.front()->idle_since >= expiry_) idle.pop_front();
}

std::unique_ptr<ClientConnection> ConnectionPool::take(std::string_view origin, TimePoint now) {
  auto it = idle_.find(origin);
  if (it == idle_.end()) return nullptr;
  expire(it->second, now);
  if (it->second.empty()) return nullptr;
  std::unique_ptr<ClientConnection> connection = std::move(it->second.back());
  it->second.pop_back();
  return connection;
}

void ConnectionPool::put(std::unique_ptr<ClientConnection> connection, TimePoint now) {
  if (max_idle_ == 0) return;
  connection->idle_since = now;
  auto it = idle_.find(connection->origin);
  if (it == idle_.end()) it = idle_.emplace(connection->origin, Idle{}).first;
  Idle& idle = it->second;
  expire(idle, now);
  idle.push_back(std::move(connection));
  while (idle.size() > max_idle_) idle.pop_front();
}

std::size_t ConnectionPool::idle(std::string_view origin) const {
  auto it = idle_.find(origin);
  return it == idle_.end() ? 0 : it->second.size();
}

std::size_t ConnectionPool::idle() const {
  std::size_t total = 0;
  for (const auto& [origin, idle] : idle_) total += idle.size();
  return total;
}

}  // namespace fern::http::detail
