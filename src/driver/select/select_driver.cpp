#include "fern/driver/select_driver.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <string>

#include "../wait_list.hpp"
#include "fern/base/error.hpp"

namespace fern {

struct SelectDriver::FdState {
  detail::WaitList waits;
};

SelectDriver::SelectDriver() {
  if (wake_.fd() >= FD_SETSIZE) {
    throw_error(Errc::limit_exceeded,
                "fern: the select driver needs a descriptor below FD_SETSIZE (1024) for its wake-up "
                "eventfd, and all of them are in use; use FERN_DRIVER=poll, epoll or uring");
  }
  fds_.resize(FD_SETSIZE);
  FD_ZERO(&read_set_);
  FD_ZERO(&write_set_);
  FD_SET(wake_.fd(), &read_set_);
  max_fd_ = wake_.fd();
}

SelectDriver::~SelectDriver() = default;

SelectDriver::FdState* SelectDriver::find(int fd) noexcept {
  if (fd < 0 || fd >= FD_SETSIZE) return nullptr;
  return &fds_[static_cast<std::size_t>(fd)];
}

void SelectDriver::sync_sets(int fd, FdState& st) noexcept {
  std::uint32_t wanted = st.waits.wanted();
  if (wanted & io_events::readable) {
    FD_SET(fd, &read_set_);
  } else {
    FD_CLR(fd, &read_set_);
  }
  if (wanted & io_events::writable) {
    FD_SET(fd, &write_set_);
  } else {
    FD_CLR(fd, &write_set_);
  }
  if (wanted && fd > max_fd_) max_fd_ = fd;
  while (max_fd_ > wake_.fd() && !FD_ISSET(max_fd_, &read_set_) && !FD_ISSET(max_fd_, &write_set_)) --max_fd_;
}

bool SelectDriver::start_wait(IoWait& w) {
  if (w.fd < 0) throw_error(Errc::invalid_argument, "fern: waiting on a negative file descriptor");
  if (w.fd >= FD_SETSIZE) {
    std::string what = "fern: the select driver cannot watch fd " + std::to_string(w.fd) +
                       ": select(2) handles only descriptors below FD_SETSIZE (" +
                       std::to_string(FD_SETSIZE) + "); use FERN_DRIVER=poll, epoll or uring";
    throw_error(Errc::limit_exceeded, what.c_str());
  }
  FdState& st = fds_[static_cast<std::size_t>(w.fd)];
  st.waits.link(w);
  ++waiting_;
  sync_sets(w.fd, st);
  return true;  // level-triggered: a ready fd is reported by the next poll() at once
}

void SelectDriver::stop_wait(IoWait& w) noexcept {
  if (!w.linked) return;
  FdState& st = fds_[static_cast<std::size_t>(w.fd)];
  st.waits.unlink(w);
  --waiting_;
  sync_sets(w.fd, st);
}

void SelectDriver::poll(Duration timeout) {
  fd_set readable = read_set_;
  fd_set writable = write_set_;
  int n;
  if (timeout == kForever) {
    n = ::pselect(max_fd_ + 1, &readable, &writable, nullptr, nullptr, nullptr);
  } else {
    // pselect takes nanoseconds, so a short sleep is not rounded up to a whole millisecond.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    n = ::pselect(max_fd_ + 1, &readable, &writable, nullptr, &ts, nullptr);
  }
  if (n < 0) {
    if (errno == EINTR) return;
    if (errno == EBADF) {
      fail_closed_descriptors();
      return;
    }
    throw_errno("fern: pselect");
  }
  if (n == 0) return;
  if (FD_ISSET(wake_.fd(), &readable)) wake_.drain();
  int last = max_fd_;  // dispatching can only lower max_fd_
  for (int fd = 0; fd <= last; ++fd) {
    if (fd == wake_.fd()) continue;
    std::uint32_t ready = 0;
    if (FD_ISSET(fd, &readable)) ready |= io_events::readable;
    if (FD_ISSET(fd, &writable)) ready |= io_events::writable;
    if (ready) dispatch(fd, ready);
  }
}

void SelectDriver::dispatch(int fd, std::uint32_t ready) noexcept {
  FdState& st = fds_[static_cast<std::size_t>(fd)];
  waiting_ -= st.waits.complete(ready, {});
  sync_sets(fd, st);
}

// select(2) fails as a whole with EBADF when one descriptor in the sets was closed behind the
// driver's back; find those and fail their waits, or every later call would fail the same way.
void SelectDriver::fail_closed_descriptors() noexcept {
  int last = max_fd_;
  for (int fd = 0; fd <= last; ++fd) {
    if (fd == wake_.fd() || (!FD_ISSET(fd, &read_set_) && !FD_ISSET(fd, &write_set_))) continue;
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    FdState& st = fds_[static_cast<std::size_t>(fd)];
    waiting_ -= st.waits.complete(detail::kAllEvents, std::make_error_code(std::errc::bad_file_descriptor));
    sync_sets(fd, st);
  }
}

void SelectDriver::wake() noexcept { wake_.notify(); }

// The kernel keeps nothing for select(2) between calls; only the wake eventfd is shared with the
// parent. The new one has the same number, so the sets stay as they are, and linked waits are
// looked at again by the next call.
void SelectDriver::reinit_after_fork() { wake_.reopen_after_fork(); }

void SelectDriver::close_fd(int fd) noexcept { forget_fd(fd); }

void SelectDriver::forget_fd(int fd) noexcept {
  FdState* st = find(fd);
  if (!st) return;
  waiting_ -= st->waits.complete(detail::kAllEvents, make_error_code(Errc::closed));
  sync_sets(fd, *st);
}

}  // namespace fern
