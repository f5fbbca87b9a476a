#include "fern/aio/open_connection.hpp"

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

#include "fern/aio/fd.hpp"
#include "fern/aio/in_greenlet.hpp"
#include "fern/base/error.hpp"
#include "fern/net/create_connection.hpp"
#include "fern/net/tls_stream.hpp"

namespace fern::aio {

Task<Stream> open_connection(std::string host, std::uint16_t port, OpenOptions options) {
  // The resolver, the connect and the handshake are greenlet code: run once, in a greenlet.
  std::unique_ptr<net::Transport> transport =
      co_await in_greenlet([&host, port, &options]() -> std::unique_ptr<net::Transport> {
        const TimePoint deadline = deadline_after(options.timeout);
        net::Socket socket = net::create_connection(host, port, options.timeout);
        if (!options.tls) return std::make_unique<net::Socket>(std::move(socket));
        const Duration left = options.timeout == kForever ? kForever : deadline - Clock::now();
        return std::make_unique<net::TlsSocket>(
            net::TlsSocket::connect(std::move(socket), *options.tls, host, std::max(left, Duration::zero())));
      });
  co_return Stream(std::move(transport), options.buffer_size);
}

Server::Server(const net::Address& local, Handler handler, ServerOptions options)
    : state_(std::make_shared<State>(State{local, {}, std::move(handler), std::move(options), {}, {}})) {
  if (!state_->options.log) state_->options.log = net::log_to_stderr;
}

Server::~Server() { close(); }

void Server::start() {
  if (state_->listener.is_open()) return;
  state_->listener = net::listen_tcp(state_->local);
  state_->bound = state_->listener.local_address();
  acceptor_ = spawn(accept_loop(state_));
}

void Server::close() {
  state_->listener.close();  // a pending sock_accept ends with Errc::closed
  if (acceptor_ && !acceptor_.done()) acceptor_.cancel();
  for (TaskHandle<>& h : state_->handlers) {
    if (!h.done()) h.cancel();
  }
  state_->handlers.clear();  // the tasks keep the state alive until they have unwound
}

std::size_t Server::connection_count() const {
  const auto& handlers = state_->handlers;
  return static_cast<std::size_t>(
      std::count_if(handlers.begin(), handlers.end(), [](const TaskHandle<>& h) { return !h.done(); }));
}

namespace {

// Whether a handler's failure is worth a log line: a cancelled handler (the server closed) and a
// client's reset are ordinary ends.
bool worth_logging(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const CancelledError&) {
    return false;
  } catch (const std::system_error& e) {
    return !net::is_peer_reset(e.code());
  } catch (...) {
    return true;
  }
}

}  // namespace

Task<void> Server::accept_loop(std::shared_ptr<State> state) {
  for (;;) {
    int fd = -1;
    std::exception_ptr failure;
    try {
      fd = co_await sock_accept(state->listener.fd());
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      if (!state->listener.is_open()) co_return;  // closed: the error is the close itself
      state->options.log("fern: aio::Server " + state->bound.to_string() +
                         ": accept failed: " + describe_exception(failure));
      continue;
    }
    std::erase_if(state->handlers, [](const TaskHandle<>& h) { return h.done(); });
    net::Socket connection = net::Socket::adopt(fd);
    net::Address peer = connection.peer_address();
    state->handlers.push_back(spawn(serve(state, std::move(connection), peer)));
  }
}

Task<void> Server::serve(std::shared_ptr<State> state, net::Socket socket, net::Address peer) {
  std::exception_ptr failure;
  try {
    std::unique_ptr<net::Transport> transport;
    if (state->options.tls) {
      const ServerOptions& o = state->options;
      transport = co_await in_greenlet([&o, &socket] {
        return std::make_unique<net::TlsSocket>(
            net::TlsSocket::accept(std::move(socket), *o.tls, o.handshake_timeout));
      });
    } else {
      transport = std::make_unique<net::Socket>(std::move(socket));
    }
    co_await state->handler(Stream(std::move(transport), state->options.buffer_size), peer);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure && worth_logging(failure)) {
    state->options.log("fern: aio::Server " + state->bound.to_string() + ": handler for " + peer.to_string() +
                       " failed: " + describe_exception(failure));
  }
}

}  // namespace fern::aio
