// StreamServer: gevent's StreamServer for C++. It listens on a TCP (or Unix stream) address, and an
// acceptor greenlet hands every connection to `handler(Socket, peer)` in a greenlet of its own, so a
// handler is plain sequential code that parks only itself. With max_connections the handlers form
// a Pool: at the limit the acceptor stops accepting (the kernel's backlog holds new clients) until
// one ends. An exception escaping a handler is logged with the peer address and ends only that
// connection; the acceptor never dies of a transient accept error (EMFILE: it logs and backs off).
//
// Blocking: start() binds and returns at once; serve_forever() parks the caller until stop().
// stop(grace) stops accepting, waits up to `grace` for handlers to finish on their own, then kills
// the rest (GreenletExit, which unwinds their stacks and closes their sockets). With
// end_reads_on_stop it first ends the reading side of every open connection, so a handler parked in
// a read sees end of stream at once (as http::Server closes its idle connections). With a
// StreamHandler the handler gets a buffered Stream instead of the Socket, over TLS when the options
// hold a TlsContext. Everything runs on
// the hub of the thread that called start(); use the server from that thread only.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/stream.hpp"
#include "fern/net/tls_context.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/pool.hpp"

namespace fern::net {

// Where servers report what they cannot throw (a failed handler, an accept error): one line,
// without a trailing newline. The default writes it to stderr.
using ServerLog = std::function<void(std::string_view line)>;
void log_to_stderr(std::string_view line);
// A client that reset the connection, or left while its reply was being written: how connections
// ordinarily end, not a handler failure a server should log.
bool is_peer_reset(const std::error_code& ec) noexcept;

struct StreamServerOptions {
  int backlog = SOMAXCONN;
  bool reuse_port = false;          // SO_REUSEPORT: several processes share the port
  std::size_t max_connections = 0;  // handlers running at once; 0 = no limit
  bool nodelay = true;              // TCP_NODELAY on accepted TCP connections
  // Each handler runs under a fern::Timeout of this length (kForever: none); when it fires the
  // handler's greenlet gets TimeoutError, which is logged like any other failure.
  Duration handler_timeout = kForever;
  // How long the acceptor sleeps after EMFILE/ENFILE/ENOBUFS/ENOMEM before accepting again.
  Duration accept_backoff = std::chrono::milliseconds(50);
  // At stop(grace), shut every connection still open down for reading, so a handler parked in a
  // read (an idle client) sees end of stream at once and can finish; replies being written still go
  // out. Off by default: a stream server cannot tell a read between messages from one in the middle
  // of a message, and a client still sending would be cut; without it stop() lets live connections
  // carry on until they end or the grace runs out (gevent's behaviour). Turn it on for protocols
  // whose clients can retry, to stop in milliseconds instead of the whole grace.
  bool end_reads_on_stop = false;
  // TLS for a server built with a StreamHandler: each connection's handshake runs in its handler's
  // greenlet within tls_handshake_timeout, and the handler sees the decrypted stream. A client that
  // fails the handshake is dropped without a log line (a scanner, a plain-text client).
  std::optional<TlsContext> tls;
  Duration tls_handshake_timeout = std::chrono::seconds(10);
  // Handler greenlets' stacks: StackMode::dense makes a parked connection cost about one page.
  GreenletOptions handler_stack = Greenlet::defaults();
  ServerLog log = log_to_stderr;
};

class StreamServer {
 public:
  using Handler = std::function<void(Socket connection, const Address& peer)>;
  // The connection as a buffered Stream, plain or (with options.tls) TLS alike.
  using StreamHandler = std::function<void(Stream connection, const Address& peer)>;

  // Listens on `local` when started (port 0: the kernel picks one; see port()).
  StreamServer(const Address& local, Handler handler, StreamServerOptions options = {});
  StreamServer(std::string_view ip, std::uint16_t port, Handler handler, StreamServerOptions options = {});
  // Serves an already listening socket (e.g. inherited, or a Unix socket set up by the caller).
  StreamServer(Socket listener, Handler handler, StreamServerOptions options = {});
  // With a StreamHandler: what gevent's StreamServer(ssl_context=...) gives, a stream per
  // connection whether or not it is encrypted.
  StreamServer(const Address& local, StreamHandler handler, StreamServerOptions options = {});
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;
  // Closes the listener and kills the handlers still running.
  ~StreamServer();

  // Binds and listens (unless given a listening socket) and spawns the acceptor. Throws
  // std::system_error when the address cannot be bound. Idempotent while started.
  void start();
  // start(), then parks until stop() or close() (from another greenlet) ends the server.
  void serve_forever();
  // Stops accepting (closes the listener), waits up to `grace` for running handlers, kills those
  // still running after it. Returns true when every handler finished on its own. Safe to call
  // twice; a second call waits for the first.
  bool stop(Duration grace = std::chrono::seconds(1));
  // stop() without grace.
  void close() { stop(Duration::zero()); }
  // Only the first step of stop(): the listener is closed, handlers run on. Returns at once.
  void stop_accepting() noexcept;

  bool started() const noexcept { return started_; }
  bool closed() const noexcept { return stopped_.is_set(); }
  // The bound address (with the kernel's port when asked for port 0); valid once started.
  const Address& address() const noexcept { return bound_; }
  std::uint16_t port() const noexcept { return bound_.port(); }
  // Connections whose handler is running now.
  std::size_t connection_count() const noexcept { return handlers_->size(); }
  const StreamServerOptions& options() const noexcept { return options_; }
  void log(std::string_view line) const;

 private:
  void accept_loop();
  // Accepts one connection and starts its handler; false when the listener was closed.
  bool accept_one();
  void handle_accept_error(const std::error_code& ec);
  void run_handler(Socket connection, const Address& peer);
  void end_reads() noexcept;
  static Handler stream_handler(StreamHandler handler, const StreamServerOptions& options);

  // A connection whose handler runs, known by descriptor and socket inode: the handler owns the
  // Socket and may close it early, and the number may then name another file by the time of stop().
  struct LiveConnection : ListNode {
    int fd = -1;
    std::uint64_t inode = 0;
  };

  Address local_;
  Address bound_;
  Handler handler_;
  StreamServerOptions options_;
  Socket listener_;
  std::unique_ptr<Group> handlers_;  // a Pool when max_connections is set
  IntrusiveList<LiveConnection> live_;
  Pool* pool_ = nullptr;
  GreenletRef<> acceptor_;
  SpawnOptions spawn_options_;
  Event stopped_;
  bool started_ = false;
  bool stopping_ = false;
  bool stop_in_progress_ = false;
  bool waiting_for_slot_ = false;  // the acceptor is parked for a free Pool slot
  bool stream_handler_ = false;    // built with a StreamHandler (the only kind TLS applies to)
  bool reads_ended_ = false;       // stop() shut the reading side of the live connections
};

}  // namespace fern::net
