// L11, fern::selectors with callbacks: the seed's selectors.DefaultSelector server. Every registered
// socket carries its callback as the key's data (accept for the listener, read for a connection); the
// loop only selects and calls key.data. Replies are the message upper-cased plus "_SB", as in the
// seed. The selector picks epoll on Linux; --selector poll|select runs the same server on the other
// implementations. A reply that does not fit the socket buffer is kept and the connection is modified
// to also wait for EVENT_WRITE until it is out.
//
//   selectors_callback --port N [--selector default|epoll|poll|select] [--max-clients N] [--seconds S]
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <fern/selectors/default_selector.hpp>

#include "server_common.hpp"

namespace {

using fern::selectors::BaseSelector;
using fern::selectors::EVENT_READ;
using fern::selectors::EVENT_WRITE;
using fern::selectors::Events;

// What a key's data holds: the callback for that fd.
using Callback = std::function<void(Events)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(BaseSelector& selector, int fd, long id)
      : selector_(selector), fd_(fd), id_(id), peer_(io_models::peer_name(fd)) {}

  // Registers the read callback; the callback owns the connection (through the selector's key).
  void start() {
    selector_.register_fd(fd_, EVENT_READ,
                          Callback([self = shared_from_this()](Events e) { self->on_ready(e); }));
    std::printf("client #%ld %s connected; registered with its read callback\n", id_, peer_.c_str());
  }

 private:
  void on_ready(Events events) {
    if (events & EVENT_READ) read();
    if (fd_ >= 0 && (events & EVENT_WRITE)) flush();
  }

  void read() {
    char buffer[64 * 1024];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) return close("closed");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      return close(std::strerror(errno));
    }
    std::string reply(buffer, static_cast<std::size_t>(n));
    io_models::upper_case(reply);
    output_ += reply + "_SB";
    flush();
  }

  void flush() {
    while (!output_.empty()) {
      const ssize_t n = ::send(fd_, output_.data(), output_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return close(std::strerror(errno));
      }
      output_.erase(0, static_cast<std::size_t>(n));
    }
    // Wait for EVENT_WRITE only while a reply is pending (a level-triggered selector would otherwise
    // report the idle socket as writable on every select).
    const Events wanted = output_.empty() ? EVENT_READ : (EVENT_READ | EVENT_WRITE);
    if (selector_.get_key(fd_).events != wanted) selector_.modify(fd_, wanted);
  }

  void close(const char* why) {
    std::printf("client #%ld %s %s; unregistered\n", id_, peer_.c_str(), why);
    selector_.unregister(fd_);  // drops the selector's copy of the callback; select()'s copy keeps us alive
    ::close(fd_);
    fd_ = -1;
  }

  BaseSelector& selector_;
  int fd_;
  long id_;
  std::string peer_;
  std::string output_;
};

class CallbackServer {
 public:
  CallbackServer(std::unique_ptr<BaseSelector> selector, int listener, const io_models::Options& options)
      : selector_(std::move(selector)), listener_(listener), options_(options) {
    selector_->register_fd(listener_, EVENT_READ, Callback([this](Events) { accept(); }));
    // The selector retries EINTR, so a stop signal reaches the loop through a pipe it watches.
    if (::pipe2(wakeup_, O_NONBLOCK | O_CLOEXEC) < 0) io_models::die("pipe2");
    selector_->register_fd(wakeup_[0], EVENT_READ, Callback([](Events) {}));
    io_models::g_wakeup_fd = wakeup_[1];
  }

  ~CallbackServer() {
    io_models::g_wakeup_fd = -1;
    for (const auto& [fd, key] : selector_->get_map()) {
      if (fd != listener_ && fd != wakeup_[0]) ::close(fd);
    }
    selector_->close();  // the callbacks (and with them the connections) go first
    if (listener_ >= 0) ::close(listener_);
    ::close(wakeup_[0]);
    ::close(wakeup_[1]);
  }

  // The whole event loop: select, then call each ready key's callback.
  bool turn() {
    if (io_models::stop_requested()) return false;
    for (auto& [key, events] : selector_->select()) std::any_cast<Callback&>(key.data)(events);
    const bool serving = listener_ >= 0 || selector_->get_map().size() > 1;  // more than the wakeup pipe
    return !io_models::stop_requested() && serving;
  }

  const char* selector_name() const { return selector_->name(); }
  long accepted() const { return accepted_; }

 private:
  void accept() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: the client reset before we got to it
    try {
      std::make_shared<Connection>(*selector_, fd, ++accepted_)->start();
    } catch (const std::system_error& e) {  // SelectSelector past FD_SETSIZE, for one
      std::printf("refusing a client: %s\n", e.what());
      ::close(fd);
    }
    if (options_.max_clients > 0 && accepted_ >= options_.max_clients) {
      selector_->unregister(listener_);
      ::close(listener_);
      listener_ = -1;
    }
  }

  std::unique_ptr<BaseSelector> selector_;
  int listener_;
  int wakeup_[2] = {-1, -1};
  const io_models::Options& options_;
  long accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const io_models::Options options =
      io_models::parse_options(argc, argv, " [--selector default|epoll|poll|select]");
  std::unique_ptr<BaseSelector> selector;
  try {
    selector = fern::selectors::make_selector(options.selector);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
  io_models::install_stop_handlers(options);
  CallbackServer server(std::move(selector), io_models::listen_tcp(options.port, /*nonblocking=*/true),
                        options);
  std::printf("L11 selectors callback server listening on 127.0.0.1:%d (%s; replies upper()+\"_SB\")\n",
              options.port, server.selector_name());
  while (server.turn()) {
  }
  std::printf("L11 selectors callback server: served %ld clients, exiting\n", server.accepted());
  return 0;
}
