#include "fern/net/stream_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/net/tls_stream.hpp"

namespace fern::net {
namespace {

bool is_resource_shortage(const std::error_code& ec) noexcept {
  return ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
         ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory;
}

// Errors that concern one connection the kernel already gave up on; the next accept may succeed.
bool is_connection_error(const std::error_code& ec) noexcept {
  return ec == std::errc::connection_aborted || ec == std::errc::protocol_error ||
         ec == std::errc::operation_not_permitted || ec == std::errc::interrupted ||
         ec == std::errc::connection_reset;
}

}  // namespace

bool is_peer_reset(const std::error_code& ec) noexcept {
  return ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
}

void log_to_stderr(std::string_view line) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

StreamServer::StreamServer(const Address& local, Handler handler, StreamServerOptions options)
    : local_(local), handler_(std::move(handler)), options_(std::move(options)) {
  if (options_.max_connections > 0) {
    auto pool = std::make_unique<Pool>(options_.max_connections);
    pool_ = pool.get();
    handlers_ = std::move(pool);
  } else {
    handlers_ = std::make_unique<Group>();
  }
  spawn_options_.greenlet = options_.handler_stack;
  if (!options_.log) options_.log = log_to_stderr;
}

StreamServer::StreamServer(std::string_view ip, std::uint16_t port, Handler handler,
                           StreamServerOptions options)
    : StreamServer(Address::ip(ip, port), std::move(handler), std::move(options)) {}

StreamServer::StreamServer(Socket listener, Handler handler, StreamServerOptions options)
    : StreamServer(listener.local_address(), std::move(handler), std::move(options)) {
  listener_ = std::move(listener);
}

StreamServer::StreamServer(const Address& local, StreamHandler handler, StreamServerOptions options)
    : StreamServer(local, stream_handler(std::move(handler), options), options) {  // a copy: evaluation order
  stream_handler_ = true;
}

StreamServer::Handler StreamServer::stream_handler(StreamHandler handler,
                                                   const StreamServerOptions& options) {
  if (!handler) throw_error(Errc::invalid_argument, "fern: StreamServer needs a handler");
  if (!options.tls) {
    return [handler = std::move(handler)](Socket s, const Address& peer) {
      handler(Stream(std::move(s)), peer);
    };
  }
  return [handler = std::move(handler), tls = *options.tls, timeout = options.tls_handshake_timeout](
             Socket s, const Address& peer) {
    std::error_code ec;
    TlsSocket session = TlsSocket::accept(std::move(s), tls, timeout, ec);
    if (ec) return;  // a scanner, or a plain-text client on the TLS port: nobody to serve
    handler(Stream(std::make_unique<TlsSocket>(std::move(session))), peer);
  };
}

StreamServer::~StreamServer() {
  stop_accepting();
  // Handlers and the acceptor point at this object: none may outlive it.
  try {
    if (acceptor_) acceptor_->kill();
    handlers_->kill();
  } catch (...) {
    // Nowhere to park (the hub is going away): the hub unwinds them itself.
  }
}

void StreamServer::log(std::string_view line) const { options_.log(line); }

void StreamServer::start() {
  if (started_) return;
  if (stopping_) throw_error(Errc::closed, "fern: StreamServer::start after stop");
  if (options_.tls && !stream_handler_) {
    throw_error(Errc::invalid_argument,
                "fern: StreamServer with tls needs a StreamHandler (it serves a Stream)");
  }
  if (!listener_.is_open()) listener_ = listen_tcp(local_, options_.backlog, options_.reuse_port);
  bound_ = listener_.local_address();
  acceptor_ = spawn([this] { accept_loop(); });
  started_ = true;
}

void StreamServer::serve_forever() {
  start();
  stopped_.wait();
}

void StreamServer::stop_accepting() noexcept {
  stopping_ = true;
  listener_.close();  // wakes the acceptor parked in accept() with Errc::closed
  // The acceptor may be parked waiting for a free Pool slot instead.
  if (waiting_for_slot_ && acceptor_ && !acceptor_->ready()) {
    try {
      acceptor_->kill(nullptr, false);
    } catch (...) {
    }
  }
}

bool StreamServer::stop(Duration grace) {
  if (stop_in_progress_) {
    if (!stopped_.is_set()) stopped_.wait();
    return handlers_->empty();
  }
  stop_in_progress_ = true;
  stop_accepting();
  if (options_.end_reads_on_stop) end_reads();
  // A handler that stops its own server is not waited for (it would wait for itself).
  if (HubGreenlet* self = current_spawned()) handlers_->discard(GreenletRef<>(self));
  bool clean = handlers_->join(grace);
  if (!clean) handlers_->kill();
  if (acceptor_) acceptor_->join();
  stopped_.set();
  return clean;
}

void StreamServer::accept_loop() {
  while (accept_one()) {
  }
}

bool StreamServer::accept_one() {
  if (pool_ && pool_->full()) {
    waiting_for_slot_ = true;
    pool_->wait_available();
    waiting_for_slot_ = false;
  }
  if (stopping_) return false;
  Address peer;
  std::error_code ec;
  Socket connection = listener_.accept(&peer, ec);
  if (ec) {
    if (stopping_ || ec == make_error_code(Errc::closed)) return false;
    handle_accept_error(ec);
    return true;
  }
  if (options_.nodelay && (peer.is_ipv4() || peer.is_ipv6())) {
    int on = 1;  // best effort: a connection already reset fails here and in its handler
    (void)::setsockopt(connection.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  auto g = spawn_with(
      spawn_options_, [this](Socket s, Address p) { run_handler(std::move(s), p); }, std::move(connection),
      peer);
  handlers_->add(g);
  return true;
}

void StreamServer::handle_accept_error(const std::error_code& ec) {
  if (is_connection_error(ec)) return;
  // Out of descriptors or memory: connections that end free some; spinning on accept would not.
  log("fern: StreamServer " + bound_.to_string() + ": accept failed (" + ec.message() + "); retrying in " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(options_.accept_backoff).count()) +
      " ms");
  if (!is_resource_shortage(ec) && options_.accept_backoff <= Duration::zero()) return;
  sleep(options_.accept_backoff);
}

void StreamServer::end_reads() noexcept {
  reads_ended_ = true;
  live_.for_each([](LiveConnection& c) {
    struct stat st {};
    if (::fstat(c.fd, &st) == 0 && st.st_ino == c.inode) (void)::shutdown(c.fd, SHUT_RD);
  });
}

void StreamServer::run_handler(Socket connection, const Address& peer) {
  LiveConnection live;
  struct stat st {};
  if (options_.end_reads_on_stop && ::fstat(connection.fd(), &st) == 0) {
    live.fd = connection.fd();
    live.inode = st.st_ino;
    live_.push_back(live);
    // Accepted before stop() but started only after it ended the reads: end this one's too.
    if (reads_ended_) (void)::shutdown(live.fd, SHUT_RD);
  }
  struct Unlist {
    LiveConnection& c;
    ~Unlist() { c.unlink(); }
  } unlist{live};
  auto log_failure = [&] {
    log("fern: StreamServer " + bound_.to_string() + ": handler for " + peer.to_string() +
        " failed: " + describe_exception(std::current_exception()));
  };
  try {
    std::optional<Timeout> limit;
    if (options_.handler_timeout != kForever) limit.emplace(options_.handler_timeout);
    handler_(std::move(connection), peer);
  } catch (const GreenletExit&) {
    throw;  // killed (stop): ends quietly
  } catch (const std::system_error& e) {
    // A client that reset the connection, or left while its reply was being written, ended it:
    // nothing failed here, and a busy server would log that all day.
    if (is_peer_reset(e.code())) return;
    log_failure();
  } catch (...) {
    log_failure();
  }
}

}  // namespace fern::net
