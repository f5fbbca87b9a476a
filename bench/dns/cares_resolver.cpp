#include "cares_resolver.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <stdexcept>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::bench {
namespace {

class AresCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "c-ares"; }
  std::string message(int value) const override { return ares_strerror(value); }
};

const std::error_category& ares_category() {
  static const AresCategory category;
  return category;
}

// Sockets go through fern so the hub knows them and closing wakes their watchers. c-ares leaves
// sockets it did not open itself in blocking mode, and reads each until EAGAIN: non-blocking here.
ares_socket_t open_socket(int family, int type, int protocol, void*) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd >= 0) adopt_fd(fd);
  return fd;
}
int close_socket(ares_socket_t fd, void*) { return close_fd(fd); }
int connect_socket(ares_socket_t fd, const sockaddr* address, ares_socklen_t length, void*) {
  return ::connect(fd, address, length);
}
ares_ssize_t receive_from(ares_socket_t fd, void* data, size_t size, int flags, sockaddr* from,
                          ares_socklen_t* from_length, void*) {
  return ::recvfrom(fd, data, size, flags, from, from_length);
}
ares_ssize_t send_vectors(ares_socket_t fd, const iovec* vectors, int count, void*) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(vectors);
  message.msg_iovlen = static_cast<std::size_t>(count);
  return ::sendmsg(fd, &message, MSG_NOSIGNAL);
}
const ares_socket_functions kSocketFunctions = {open_socket, close_socket, connect_socket, receive_from,
                                                send_vectors};

// One lookup's state; owned by the caller until it gives up, then by the callback.
struct Pending {
  Waiter* waiter = nullptr;
  bool done = false;
  bool abandoned = false;
  int status = ARES_SUCCESS;
  std::vector<net::Address> addresses;
};

void on_answer(void* arg, int status, int, ares_addrinfo* result) {
  auto* pending = static_cast<Pending*>(arg);
  if (pending->abandoned) {
    ares_freeaddrinfo(result);
    delete pending;
    return;
  }
  pending->status = status;
  if (status == ARES_SUCCESS && result != nullptr) {
    for (ares_addrinfo_node* n = result->nodes; n; n = n->ai_next)
      pending->addresses.emplace_back(n->ai_addr, n->ai_addrlen);
  }
  ares_freeaddrinfo(result);
  pending->done = true;
  if (pending->waiter) pending->waiter->wake();
}

}  // namespace

CaresResolver::CaresResolver() {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) throw std::system_error(library, ares_category(), "ares_library_init");
  ares_options options{};
  options.sock_state_cb = &CaresResolver::on_socket_state;
  options.sock_state_cb_data = this;
  options.lookups = const_cast<char*>("fb");  // as nsswitch's "hosts: files dns"
  int status = ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS);
  if (status != ARES_SUCCESS) throw std::system_error(status, ares_category(), "ares_init_options");
  ares_set_socket_functions(channel_, &kSocketFunctions, nullptr);
}

CaresResolver::~CaresResolver() { ares_destroy(channel_); }

void CaresResolver::on_socket_state(void* self, ares_socket_t fd, int readable, int writable) {
  auto* resolver = static_cast<CaresResolver*>(self);
  std::uint32_t events = (readable ? io_events::readable : 0u) | (writable ? io_events::writable : 0u);
  if (events == 0) {
    resolver->interest_.erase(fd);
    return;
  }
  bool is_new = resolver->interest_.find(fd) == resolver->interest_.end();
  resolver->interest_[fd] = events;
  if (is_new) resolver->watch(fd);
}

void CaresResolver::watch(int fd) {
  spawn([this, fd] {
    for (;;) {
      auto it = interest_.find(fd);
      if (it == interest_.end()) return;
      timeval tv{};
      TimePoint deadline = TimePoint::max();
      if (ares_timeout(channel_, nullptr, &tv) != nullptr)
        deadline = deadline_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
      std::error_code ec = wait_fd(fd, it->second, deadline);
      if (ec == Errc::closed) return;
      if (ec) {
        ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' own timeouts
        continue;
      }
      it = interest_.find(fd);
      if (it == interest_.end()) return;
      ares_process_fd(channel_, (it->second & io_events::readable) ? fd : ARES_SOCKET_BAD,
                      (it->second & io_events::writable) ? fd : ARES_SOCKET_BAD);
    }
  });
}

std::vector<net::Address> CaresResolver::resolve(const std::string& host, std::uint16_t port,
                                                 Duration timeout) {
  auto* pending = new Pending;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = ARES_AI_NUMERICSERV;
  std::string service = std::to_string(port);
  ares_getaddrinfo(channel_, host.c_str(), service.c_str(), &hints, on_answer,
                   pending);  // may answer at once
  Waiter waiter;
  pending->waiter = &waiter;
  const TimePoint deadline = deadline_after(timeout);
  try {
    while (!pending->done) {
      if (!waiter.park(deadline)) throw_error(Errc::timed_out, "fern: c-ares lookup timed out");
    }
  } catch (...) {
    if (pending->done) {
      delete pending;
    } else {
      pending->waiter = nullptr;
      pending->abandoned = true;  // the callback frees it when c-ares finishes the query
    }
    throw;
  }
  Pending answer = std::move(*pending);
  delete pending;
  if (answer.status != ARES_SUCCESS)
    throw std::system_error(answer.status, ares_category(), "fern: resolving '" + host + "'");
  return std::move(answer.addresses);
}

}  // namespace fern::bench
