#include "fern/driver/wake_signal.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace fern {

WakeSignal::WakeSignal(Reader reader)
    : flags_(EFD_CLOEXEC | (reader == Reader::nonblocking ? EFD_NONBLOCK : 0)) {
  fd_ = ::eventfd(0, flags_);
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "fern: eventfd");
}

WakeSignal::~WakeSignal() { ::close(fd_); }

void WakeSignal::reopen_after_fork() {
  int fresh = ::eventfd(0, flags_);
  if (fresh < 0) throw std::system_error(errno, std::system_category(), "fern: eventfd after fork");
  // dup3 closes the child's reference to the inherited eventfd; the parent's stays open.
  if (::dup3(fresh, fd_, O_CLOEXEC) < 0) {
    int err = errno;
    ::close(fresh);
    throw std::system_error(err, std::system_category(), "fern: dup3(eventfd) after fork");
  }
  ::close(fresh);
  pending_.store(false, std::memory_order_seq_cst);
}

void WakeSignal::notify() noexcept {
  if (pending_.exchange(true, std::memory_order_seq_cst)) return;
  writes_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t one = 1;
  ssize_t r = ::write(fd_, &one, sizeof one);
  (void)r;  // EAGAIN means the counter is already non-zero: the hub wakes anyway
}

void WakeSignal::drain() noexcept {
  std::uint64_t count;
  while (::read(fd_, &count, sizeof count) > 0) {
  }
  clear();
}

}  // namespace fern
