#include "fault_proxy.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <system_error>
#include <utility>
#include <vector>

#include "fern/hub/sleep.hpp"
#include "fern/net/create_connection.hpp"

namespace fern_test {

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
// Bounds only the connect to the real server, so a server that is down fails the client's
// connection instead of leaving it open and silent.
constexpr auto kUpstreamConnectTimeout = std::chrono::seconds(10);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(10);

// SO_LINGER {1, 0}: the close that follows sends RST and drops unsent data, as a crashed host would.
void arm_reset(fern::net::Socket& socket) noexcept {
  if (!socket.is_open()) return;
  linger option{1, 0};
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &option, sizeof option);
}

// Reads and drops what the peer sent and nobody read: closing a socket with unread data makes the
// kernel send RST instead of FIN, and a cut must look like a clean close.
void drain(fern::net::Socket& socket) noexcept {
  if (!socket.is_open()) return;
  char scratch[4096];
  while (::recv(socket.fd(), scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
  }
}

// Small pieces (a stalled or cut stream's last bytes) go out at once, not after Nagle's delay. A
// socket that died already needs no option: the error shows on its first read.
void set_nodelay(fern::net::Socket& socket) noexcept {
  int on = 1;
  ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

bool is_reset(const std::error_code& ec) noexcept {
  return ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
}

}  // namespace

// Both sockets of one proxied connection and the greenlets that serve them.
struct FaultProxy::Link {
  fern::net::Socket client;
  fern::net::Socket server;
  // serve() runs in `handler` and pumps upstream itself; `downstream` pumps the other way.
  fern::GreenletRef<> handler;
  fern::GreenletRef<> downstream;
  bool black_hole = false;
  bool closed = false;
  bool ended[2] = {false, false};  // the direction saw end of stream and passed it on

  fern::net::Socket& source(Direction d) { return d == Direction::upstream ? client : server; }
  fern::net::Socket& sink(Direction d) { return d == Direction::upstream ? server : client; }
};

FaultProxy::FaultProxy(std::string upstream_host, std::uint16_t upstream_port)
    : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port) {
  listener_ = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
  address_ = listener_.local_address();
  acceptor_ = fern::spawn([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  listener_.close();
  close_all();
  // Closing wakes every pump; killing is for greenlets that have not started yet, which would
  // otherwise run after the proxy is gone.
  std::vector<fern::GreenletRef<>> running{acceptor_};
  for (const auto& link : links_) {
    if (link->handler) running.push_back(link->handler);
    if (link->downstream) running.push_back(link->downstream);
  }
  try {
    fern::killall(running);
  } catch (...) {
    // A destructor cannot report it; the greenlets are gone either way.
  }
  // A greenlet killed before it started never ran serve()'s clean-up, which breaks the cycle
  // between a link and the greenlets holding it.
  for (const auto& link : links_) {
    link->handler = {};
    link->downstream = {};
  }
  links_.clear();
}

void FaultProxy::set_latency(Direction direction, fern::Duration delay) {
  faults_[index(direction)].latency = delay;
}

void FaultProxy::set_bandwidth(Direction direction, std::size_t bytes_per_second) {
  faults_[index(direction)].bytes_per_second = bytes_per_second;
}

void FaultProxy::stall_after(Direction direction, std::size_t bytes) {
  set_trigger(direction, Trigger::stall, bytes);
}

void FaultProxy::cut_after(Direction direction, std::size_t bytes) {
  set_trigger(direction, Trigger::cut, bytes);
}

void FaultProxy::reset_after(Direction direction, std::size_t bytes) {
  set_trigger(direction, Trigger::reset, bytes);
}

void FaultProxy::set_trigger(Direction direction, Trigger trigger, std::size_t bytes) {
  Faults& f = faults_[index(direction)];
  f.trigger = trigger;
  f.trigger_after = bytes;
  ++f.epoch;
  faults_changed();
}

void FaultProxy::reset_all() {
  for (auto link : std::vector(links_)) end(*link, true);
}

void FaultProxy::close_all() {
  for (auto link : std::vector(links_)) end(*link, false);
}

void FaultProxy::set_black_hole(bool on) {
  black_hole_ = on;
  faults_changed();
}

void FaultProxy::set_refuse(bool on) { refuse_ = on; }

void FaultProxy::clear() {
  for (Faults& f : faults_) {
    const std::uint64_t epoch = f.epoch + 1;
    f = Faults{};
    f.epoch = epoch;
  }
  black_hole_ = false;
  refuse_ = false;
  faults_changed();
}

void FaultProxy::faults_changed() {
  // A pulse: set() wakes every current waiter (each returns true even after the clear()), and the
  // next waiter parks until the next change.
  changed_.set();
  changed_.clear();
}

void FaultProxy::end(Link& link, bool reset) noexcept {
  if (link.closed) return;
  link.closed = true;
  if (reset) {
    arm_reset(link.client);
    arm_reset(link.server);
  } else {
    drain(link.client);
    drain(link.server);
  }
  // Closing wakes a pump parked on either socket (Errc::closed); a stalled pump needs the pulse.
  link.client.close();
  link.server.close();
  faults_changed();
}

void FaultProxy::forget(const Link& link) noexcept {
  std::erase_if(links_, [&](const std::shared_ptr<Link>& l) { return l.get() == &link; });
}

void FaultProxy::accept_loop() {
  for (;;) {
    std::error_code ec;
    fern::net::Socket client = listener_.accept(nullptr, ec);
    if (!listener_.is_open()) return;
    if (ec) {
      fern::sleep(kAcceptBackoff);  // a lasting error (EMFILE) must not spin the hub
      continue;
    }
    ++accepted_;
    if (!refuse_) admit(std::move(client));  // a refused `client` is closed here
  }
}

void FaultProxy::admit(fern::net::Socket client) {
  set_nodelay(client);
  auto link = std::make_shared<Link>();
  link->client = std::move(client);
  link->black_hole = black_hole_;
  links_.push_back(link);
  link->handler = fern::spawn([this, link] { serve(link); });
}

void FaultProxy::serve(std::shared_ptr<Link> link) {
  // However serve() ends (done, or killed by the destructor), the link stops referring to its
  // greenlets (each holds the link) and leaves the list.
  struct Done {
    FaultProxy* proxy;
    Link* link;
    ~Done() {
      proxy->end(*link, false);
      link->handler = {};
      link->downstream = {};
      proxy->forget(*link);
    }
  } done{this, link.get()};
  if (link->black_hole) {
    swallow(*link);
    return;
  }
  try {
    link->server = fern::net::create_connection(upstream_host_, upstream_port_, kUpstreamConnectTimeout);
  } catch (const std::system_error&) {
    return;  // the client sees its connection closed, as with a server that is down
  }
  if (link->closed) return;  // closed by close_all() while connecting
  link->downstream = fern::spawn([this, link] { pump(*link, Direction::downstream); });
  pump(*link, Direction::upstream);
  if (link->downstream) link->downstream->join();
}

void FaultProxy::swallow(Link& link) {
  std::vector<char> buffer(kBufferSize);  // on the heap: greenlet stacks are small
  for (;;) {
    std::error_code ec;
    const std::size_t n = link.client.recv(buffer.data(), buffer.size(), ec);
    if (ec || n == 0) return;
    dropped_[index(Direction::upstream)] += n;
  }
}

void FaultProxy::pump(Link& link, Direction direction) {
  const std::size_t i = index(direction);
  PumpState state{faults_[i].epoch, 0};
  std::vector<char> buffer(kBufferSize);  // on the heap: greenlet stacks are small
  for (;;) {
    std::error_code ec;
    const std::size_t n = link.source(direction).recv(buffer.data(), piece_size(direction), ec);
    if (ec) {
      end(link, is_reset(ec));  // a peer's RST is passed on as RST
      return;
    }
    if (n == 0) {
      pass_end_of_stream(link, direction);
      return;
    }
    if (black_hole_) {
      dropped_[i] += n;
      continue;
    }
    if (!forward(link, direction, state, buffer.data(), n)) return;
  }
}

void FaultProxy::pass_end_of_stream(Link& link, Direction direction) {
  // A half-close goes through as a half-close: the other direction may still carry a reply.
  std::error_code ignored;
  link.sink(direction).shutdown_write(ignored);
  link.ended[index(direction)] = true;
  if (link.ended[0] && link.ended[1]) end(link, false);
}

bool FaultProxy::forward(Link& link, Direction direction, PumpState& state, const char* data,
                         std::size_t size) {
  const std::size_t i = index(direction);
  if (faults_[i].latency > fern::Duration::zero()) fern::sleep(faults_[i].latency);
  while (size > 0) {
    if (link.closed) return false;
    if (black_hole_) {
      dropped_[i] += size;
      return true;
    }
    const Faults& f = faults_[i];
    if (state.epoch != f.epoch) state = PumpState{f.epoch, 0};
    std::size_t allowed = size;
    if (f.trigger != Trigger::none) {
      allowed = std::min(size, f.trigger_after - std::min(f.trigger_after, state.since_epoch));
    }
    allowed = std::min(allowed, piece_size(direction));  // a cap set after the read still applies
    if (allowed == 0) {
      if (f.trigger != Trigger::stall) {
        end(link, f.trigger == Trigger::reset);
        return false;
      }
      changed_.wait();  // held until the faults change or the link ends
      continue;
    }
    if (!send_shaped(link, direction, data, allowed)) return false;
    state.since_epoch += allowed;
    data += allowed;
    size -= allowed;
  }
  return true;
}

bool FaultProxy::send_shaped(Link& link, Direction direction, const char* data, std::size_t size) {
  const std::size_t i = index(direction);
  for (std::size_t sent = 0; sent < size;) {
    std::error_code ec;
    sent += link.sink(direction).send(data + sent, size - sent, ec);
    if (ec) {
      end(link, is_reset(ec));
      return false;
    }
  }
  forwarded_[i] += size;
  if (const std::size_t rate = faults_[i].bytes_per_second; rate > 0) {
    fern::sleep(std::chrono::duration_cast<fern::Duration>(
        std::chrono::duration<double>(static_cast<double>(size) / static_cast<double>(rate))));
  }
  return true;
}

std::size_t FaultProxy::piece_size(Direction direction) const noexcept {
  const std::size_t rate = faults_[index(direction)].bytes_per_second;
  // Twenty pieces a second keep a capped stream smooth rather than bursty.
  return rate == 0 ? kBufferSize : std::clamp<std::size_t>(rate / 20, 1, kBufferSize);
}

}  // namespace fern_test
