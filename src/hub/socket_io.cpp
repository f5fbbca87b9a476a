#include "fern/hub/socket_io.hpp"

#include <unistd.h>

#include <cerrno>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::io {
namespace {

TimePoint deadline_for(Duration timeout) noexcept {
  return timeout == kForever ? TimePoint::max() : deadline_after(timeout);
}

std::uint32_t events_of(IoOp::Kind kind) noexcept {
  bool reads = kind == IoOp::Kind::recv || kind == IoOp::Kind::recvmsg || kind == IoOp::Kind::accept;
  return reads ? io_events::readable : io_events::writable;
}

// The readiness model: try the call; on EAGAIN park until the fd is ready (or the deadline,
// computed only once a wait is needed) and try again.
template <class Call>
ssize_t retry_until_ready(int fd, std::uint32_t events, Duration timeout, std::error_code& ec, Call call) {
  TimePoint deadline{};
  bool have_deadline = false;
  for (;;) {
    ssize_t n = call();
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = {errno, std::system_category()};
      return -1;
    }
    if (!have_deadline) {
      deadline = deadline_for(timeout);
      have_deadline = true;
    }
    if (std::error_code wait_ec = wait_fd(fd, events, deadline)) {
      ec = wait_ec;
      return -1;
    }
  }
}

// An operation a kill interrupted may still have produced something the caller will never see:
// a descriptor nobody owns is closed.
void discard(const IoOp& op) noexcept {
  if (op.kind == IoOp::Kind::accept && op.result >= 0) ::close(op.result);
}

// One submission and one park; cancelled (and waited for) when the park ends another way.
// False when it timed out with nothing done.
bool run_once(Driver& driver, IoOp& op, TimePoint deadline) {
  Waiter waiter;
  waiter.waits_on({"fd", nullptr, op.fd, events_of(op.kind)});
  op.waiter = &waiter;
  driver.submit(op);
  bool woken;
  try {
    woken = waiter.park(deadline);
  } catch (...) {
    driver.cancel(op);
    discard(op);
    throw;
  }
  if (!woken) driver.cancel(op);
  return woken || op.result != -ECANCELED;
}

// The completion model. EINTR is submitted again; EAGAIN (a kernel that honours O_NONBLOCK on the
// socket) waits for readiness first.
ssize_t perform(Driver& driver, IoOp& op, Duration timeout, std::error_code& ec) {
  TimePoint deadline = deadline_for(timeout);
  for (;;) {
    if (!run_once(driver, op, deadline)) {
      ec = make_error_code(Errc::timed_out);
      return -1;
    }
    if (op.result >= 0) return op.result;
    if (op.closed && op.result == -ECANCELED) {
      ec = make_error_code(Errc::closed);
      return -1;
    }
    if (op.result == -EINTR) continue;
    if (op.result == -EAGAIN) {
      if (std::error_code wait_ec = wait_fd(op.fd, events_of(op.kind), deadline)) {
        ec = wait_ec;
        return -1;
      }
      continue;
    }
    ec = {-op.result, std::system_category()};
    return -1;
  }
}

// The hub's driver when it performs operations, else null. Outside a greenlet there is no hub to
// ask and nothing that could park: the readiness path reports that itself.
Driver* completion_driver() noexcept {
  Hub* hub = Hub::current_if_exists();
  if (!hub) return nullptr;
  Driver& driver = hub->driver();
  return driver.performs_io() ? &driver : nullptr;
}

bool bad_fd(int fd, std::error_code& ec) noexcept {
  if (fd >= 0) return false;
  ec = std::make_error_code(std::errc::bad_file_descriptor);
  return true;
}

// An operation on `fd` of `kind`, its other fields for the caller to fill.
IoOp operation(IoOp::Kind kind, int fd, int flags) noexcept {
  IoOp op;
  op.kind = kind;
  op.fd = fd;
  op.flags = flags;
  return op;
}

// Every call but connect: `op` on the completion driver, else `call` in the readiness loop, waiting
// in the direction the operation's kind implies.
template <class Call>
ssize_t run(IoOp& op, Duration timeout, std::error_code& ec, Call call) {
  ec.clear();
  if (bad_fd(op.fd, ec)) return -1;
  if (Driver* driver = completion_driver()) return perform(*driver, op, timeout, ec);
  return retry_until_ready(op.fd, events_of(op.kind), timeout, ec, call);
}

}  // namespace

ssize_t recv(int fd, void* data, std::size_t size, int flags, Duration timeout, std::error_code& ec) {
  IoOp op = operation(IoOp::Kind::recv, fd, flags);
  op.data = data;
  op.size = size;
  return run(op, timeout, ec, [&] { return ::recv(fd, data, size, flags); });
}

ssize_t send(int fd, const void* data, std::size_t size, int flags, Duration timeout, std::error_code& ec) {
  IoOp op = operation(IoOp::Kind::send, fd, flags);
  op.data = const_cast<void*>(data);  // only read from: io_uring_prep_send takes a const buffer
  op.size = size;
  return run(op, timeout, ec, [&] { return ::send(fd, data, size, flags); });
}

ssize_t sendmsg(int fd, const msghdr* message, int flags, Duration timeout, std::error_code& ec) {
  IoOp op = operation(IoOp::Kind::sendmsg, fd, flags);
  op.message = const_cast<msghdr*>(message);  // only read from
  return run(op, timeout, ec, [&] { return ::sendmsg(fd, message, flags); });
}

ssize_t recvmsg(int fd, msghdr* message, int flags, Duration timeout, std::error_code& ec) {
  IoOp op = operation(IoOp::Kind::recvmsg, fd, flags);
  op.message = message;
  socklen_t capacity = message->msg_namelen;
  return run(op, timeout, ec, [&] {
    message->msg_namelen = capacity;
    return ::recvmsg(fd, message, flags);
  });
}

ssize_t sendto(int fd, const void* data, std::size_t size, int flags, const sockaddr* address,
               socklen_t length, Duration timeout, std::error_code& ec) {
  iovec vector{const_cast<void*>(data), size};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(address);
  message.msg_namelen = length;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  return sendmsg(fd, &message, flags, timeout, ec);
}

ssize_t recvfrom(int fd, void* data, std::size_t size, int flags, sockaddr* address, socklen_t* address_size,
                 Duration timeout, std::error_code& ec) {
  iovec vector{data, size};
  msghdr message{};
  message.msg_name = address;
  message.msg_namelen = address_size ? *address_size : 0;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  ssize_t n = recvmsg(fd, &message, flags, timeout, ec);
  if (n >= 0 && address_size) *address_size = message.msg_namelen;
  return n;
}

int accept(int fd, sockaddr* address, socklen_t* address_size, int flags, Duration timeout,
           std::error_code& ec) {
  IoOp op = operation(IoOp::Kind::accept, fd, flags);
  op.address = address;
  op.address_size = address_size;
  socklen_t capacity = address_size ? *address_size : 0;
  return static_cast<int>(run(op, timeout, ec, [&] {
    if (address_size) *address_size = capacity;
    return static_cast<ssize_t>(::accept4(fd, address, address_size, flags));
  }));
}

bool performed_by_driver() noexcept { return completion_driver() != nullptr; }

void connect(int fd, const sockaddr* address, socklen_t length, Duration timeout, std::error_code& ec) {
  ec.clear();
  if (bad_fd(fd, ec)) return;
  if (Driver* driver = completion_driver()) {
    IoOp op = operation(IoOp::Kind::connect, fd, 0);
    op.address = const_cast<sockaddr*>(address);  // only read from
    op.address_length = length;
    perform(*driver, op, timeout, ec);
    return;
  }
  if (::connect(fd, address, length) == 0) return;
  if (errno != EINPROGRESS && errno != EINTR) {
    ec = {errno, std::system_category()};
    return;
  }
  // The handshake runs in the kernel; the socket turns writable when it ends either way.
  if (std::error_code wait_ec = wait_fd(fd, io_events::writable, deadline_for(timeout))) {
    ec = wait_ec;
    return;
  }
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error != 0) ec = {error, std::system_category()};
}

}  // namespace fern::io
