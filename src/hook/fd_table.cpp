#include "fd_table.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "real_calls.hpp"

namespace fern::hook {

namespace {

constexpr std::size_t kMaxTableSize = std::size_t{1} << 20;

std::size_t table_size() noexcept {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_max == RLIM_INFINITY) return kMaxTableSize;
  return std::clamp<std::size_t>(lim.rlim_max, 1024, kMaxTableSize);
}

std::int64_t socket_timeout_ns(int fd, int option) noexcept {
  timeval tv{};
  socklen_t len = sizeof tv;
  if (getsockopt(fd, SOL_SOCKET, option, &tv, &len) != 0) return 0;
  return static_cast<std::int64_t>(tv.tv_sec) * 1000000000 + static_cast<std::int64_t>(tv.tv_usec) * 1000;
}

FdKind kind_of_mode(mode_t mode) noexcept {
  if (S_ISSOCK(mode)) return FdKind::socket;
  if (S_ISREG(mode) || S_ISBLK(mode)) return FdKind::file;
  if (S_ISDIR(mode) || S_ISLNK(mode)) return FdKind::other;
  // FIFOs, character devices, and anonymous inodes (eventfd, timerfd, signalfd, epoll) all poll.
  return FdKind::pollable;
}

}  // namespace

FdTable::FdTable() : states_(new FdState[table_size()]), size_(table_size()) {}

FdTable& FdTable::instance() {
  // Never destroyed: interposed calls can arrive from other threads while the process exits.
  static FdTable* table = new FdTable();
  return *table;
}

void FdTable::reset(int fd) noexcept {
  if (FdState* st = find(fd)) {
    st->kind.store(FdKind::unknown, std::memory_order_relaxed);
    st->owned.store(false, std::memory_order_relaxed);
    st->user_nonblock.store(false, std::memory_order_relaxed);
    st->recv_timeout_ns.store(0, std::memory_order_relaxed);
    st->send_timeout_ns.store(0, std::memory_order_relaxed);
  }
}

void FdTable::copy(int from, int to) noexcept {
  FdState* src = find(from);
  FdState* dst = find(to);
  if (!dst) return;
  if (!src) {
    reset(to);
    return;
  }
  dst->kind.store(src->kind.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->owned.store(src->owned.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->user_nonblock.store(src->user_nonblock.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->recv_timeout_ns.store(src->recv_timeout_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->send_timeout_ns.store(src->send_timeout_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void FdTable::adopt_owned_socket(int fd, bool user_nonblock, std::int64_t recv_ns,
                                 std::int64_t send_ns) noexcept {
  if (FdState* st = find(fd)) {
    st->owned.store(true, std::memory_order_relaxed);
    st->user_nonblock.store(user_nonblock, std::memory_order_relaxed);
    st->recv_timeout_ns.store(recv_ns, std::memory_order_relaxed);
    st->send_timeout_ns.store(send_ns, std::memory_order_relaxed);
    st->kind.store(FdKind::socket, std::memory_order_release);
  }
}

FdKind classify(int fd, FdState& st) noexcept {
  FdKind kind = st.kind.load(std::memory_order_acquire);
  if (kind != FdKind::unknown) return kind;
  int saved = errno;
  struct stat sb {};
  int flags = real().fcntl(fd, F_GETFL);
  if (flags < 0 || fstat(fd, &sb) != 0) {
    errno = saved;
    return FdKind::other;  // not open: the real call reports EBADF itself; nothing is cached
  }
  kind = kind_of_mode(sb.st_mode);
  st.owned.store(false, std::memory_order_relaxed);
  st.user_nonblock.store((flags & O_NONBLOCK) != 0, std::memory_order_relaxed);
  if (kind == FdKind::socket) {
    st.recv_timeout_ns.store(socket_timeout_ns(fd, SO_RCVTIMEO), std::memory_order_relaxed);
    st.send_timeout_ns.store(socket_timeout_ns(fd, SO_SNDTIMEO), std::memory_order_relaxed);
  }
  st.kind.store(kind, std::memory_order_release);
  errno = saved;
  return kind;
}

bool set_kernel_nonblock(int fd, bool on) noexcept {
  int saved = errno;
  int flags = real().fcntl(fd, F_GETFL);
  bool ok = flags >= 0 && real().fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0;
  errno = saved;
  return ok;
}

}  // namespace fern::hook
