#include "fern/driver/uring_driver.hpp"

#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "fern/base/error.hpp"
#include "uring_fd_state.hpp"

namespace fern {

using detail::kCancelToken;
using detail::kWakeToken;

namespace {

constexpr unsigned kCompletionEntries = 4096;
constexpr unsigned kReapBatch = 128;

unsigned poll_mask(int dir) { return dir == 0 ? POLLIN | POLLRDHUP : POLLOUT; }
std::uint32_t event_of(int dir) { return dir == 0 ? io_events::readable : io_events::writable; }

[[noreturn]] void throw_unavailable(int rc) {
  std::string what =
      "fern: io_uring is not available (io_uring_queue_init failed: " + std::string(std::strerror(-rc)) +
      "; kernel.io_uring_disabled, a seccomp filter or RLIMIT_MEMLOCK may forbid it); use FERN_DRIVER=epoll";
  throw std::system_error(std::error_code(-rc, std::system_category()), what);
}

}  // namespace

UringDriver::UringDriver(unsigned entries) : ring_(std::make_unique<io_uring>()), entries_(entries) {
  open_ring(*ring_);
  arm_wake();
  io_uring_submit(ring_.get());
}

UringDriver::~UringDriver() {
  io_uring_queue_exit(ring_.get());  // cancels what is in flight, the eventfd read included
}

// The flags this kernel takes, best first: single issuer with deferred task work (6.1) posts
// completions only when the hub collects them, so nothing interrupts a running greenlet to run
// io_uring's task work; SUBMIT_ALL (5.18) keeps submitting past a failed SQE. A larger completion
// ring than the default (2x entries): a turn that wakes a thousand waits should not spill
// completions into the kernel's overflow list.
void UringDriver::open_ring(io_uring& ring) {
  constexpr unsigned kFlagSets[] = {
      IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_CQSIZE,
  };
  io_uring_params params{};
  int rc = -EINVAL;
  for (unsigned flags : kFlagSets) {
    params = io_uring_params{};
    params.flags = flags;
    params.cq_entries = kCompletionEntries;
    rc = io_uring_queue_init_params(entries_, &ring, &params);
    if (rc != -EINVAL) break;
  }
  if (rc < 0) throw_unavailable(rc);
  skip_cancel_cqe_ = (params.features & IORING_FEAT_CQE_SKIP) != 0;
  defer_taskrun_ = (params.flags & IORING_SETUP_DEFER_TASKRUN) != 0;
}

// The inherited ring is mapped shared with the parent, which goes on submitting to it and reaping
// from it: one SQE or CQE head moved here would corrupt both. The child gives up its view (unmaps it
// and closes its descriptor; the ring lives on in the parent), makes a ring of its own, and arms
// again the polls its linked waits need. Polls are level-triggered, so a descriptor that became
// ready meanwhile completes at once: no wait needs waking.
void UringDriver::reinit_after_fork() {
  auto fresh = std::make_unique<io_uring>();
  open_ring(*fresh);
  try {
    wake_.reopen_after_fork();
  } catch (...) {
    io_uring_queue_exit(fresh.get());
    throw;
  }
  // Only munmap and close: this driver never registers the ring's descriptor, the one case where
  // io_uring_queue_exit would also talk to the (shared) ring.
  io_uring_queue_exit(ring_.get());
  ring_ = std::move(fresh);
  wake_armed_ = false;
  arm_wake();
  for (std::size_t fd = 0; fd < fds_.size(); ++fd) {
    FdState& st = fds_[fd];
    st.armed[read_dir] = st.armed[write_dir] = 0;  // those polls are in the parent's ring
    if (!sync_polls(static_cast<int>(fd), st)) {
      waiting_ -= st.waits.complete(detail::kAllEvents, make_error_code(Errc::resource_exhausted));
    }
  }
  requeue_ops_after_fork();
  io_uring_submit(ring_.get());
}

UringDriver::FdState& UringDriver::state(int fd) {
  if (fd < 0) throw_error(Errc::invalid_argument, "fern: waiting on a negative file descriptor");
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
  return fds_[static_cast<std::size_t>(fd)];
}

UringDriver::FdState* UringDriver::find(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return nullptr;
  return &fds_[static_cast<std::size_t>(fd)];
}

// A free submission slot; a full ring is flushed to the kernel first (rare: the ring is flushed on
// every turn of the loop).
io_uring_sqe* UringDriver::next_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) {
    io_uring_submit(ring_.get());
    sqe = io_uring_get_sqe(ring_.get());
  }
  return sqe;
}

void UringDriver::arm_wake() noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return;  // retried by the next poll()
  io_uring_prep_read(sqe, wake_.fd(), &wake_buffer_, sizeof wake_buffer_, 0);
  io_uring_sqe_set_data64(sqe, kWakeToken);
  wake_armed_ = true;
}

bool UringDriver::arm_poll(int fd, FdState& st, Direction dir) noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return false;
  if (++st.seq == 0) ++st.seq;  // 0 means "none"
  io_uring_prep_poll_add(sqe, fd, poll_mask(dir));
  io_uring_sqe_set_data64(sqe, detail::poll_token(fd, st.seq));
  st.armed[dir] = st.seq;
  return true;
}

// Forgets the direction's poll at once (its completion, should it still arrive, no longer matches)
// and asks the kernel to drop it, so it stops pinning the file.
bool UringDriver::cancel_poll(int fd, FdState& st, Direction dir) noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return false;  // left armed: it completes in due course and is then ignored
  io_uring_prep_poll_remove(sqe, detail::poll_token(fd, st.armed[dir]));
  io_uring_sqe_set_data64(sqe, kCancelToken);
  if (skip_cancel_cqe_) io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
  st.armed[dir] = 0;
  return true;
}

// Makes the polls in flight match what the fd's waits want: arms a missing direction, cancels one
// nobody waits for. False when a needed poll could not be queued.
bool UringDriver::sync_polls(int fd, FdState& st) noexcept {
  std::uint32_t wanted = st.waits.wanted();
  bool ok = true;
  for (Direction dir : {read_dir, write_dir}) {
    bool want = (wanted & event_of(dir)) != 0;
    if (want && !st.armed[dir]) {
      ok &= arm_poll(fd, st, dir);
    } else if (!want && st.armed[dir]) {
      cancel_poll(fd, st, dir);
    }
  }
  return ok;
}

bool UringDriver::start_wait(IoWait& w) {
  FdState& st = state(w.fd);
  st.waits.link(w);
  ++waiting_;
  if (!sync_polls(w.fd, st)) {
    st.waits.unlink(w);
    --waiting_;
    sync_polls(w.fd, st);
    throw_error(Errc::resource_exhausted, "fern: the io_uring submission queue is full");
  }
  return true;  // level-triggered: a poll armed on a ready fd completes at once
}

void UringDriver::stop_wait(IoWait& w) noexcept {
  if (!w.linked) return;
  FdState& st = fds_[static_cast<std::size_t>(w.fd)];
  st.waits.unlink(w);
  --waiting_;
  sync_polls(w.fd, st);
}

void UringDriver::poll(Duration timeout) {
  if (!wake_armed_) arm_wake();
  io_uring* ring = ring_.get();
  int rc = 0;
  if (timeout == Duration::zero()) {
    // With deferred task work, finished requests wait in the kernel until collected.
    if (defer_taskrun_) {
      rc = io_uring_submit_and_get_events(ring);
    } else if (io_uring_sq_ready(ring) > 0) {
      rc = io_uring_submit(ring);
    }
  } else if (timeout == kForever) {
    rc = io_uring_submit_and_wait(ring, 1);
  } else {
    // One io_uring_enter submits what this turn queued and waits, with a nanosecond timeout.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    __kernel_timespec ts{ns / 1000000000, ns % 1000000000};
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
    throw std::system_error(std::error_code(-rc, std::system_category()), "fern: io_uring_enter");
  }
  reap();
}

void UringDriver::reap() noexcept {
  io_uring_cqe* batch[kReapBatch];
  struct Completion {
    std::uint64_t user_data;
    int res;
  } done[kReapBatch];
  for (;;) {
    // Copy the batch out and hand the slots back before acting on it: completing a wait may queue
    // submissions, which may flush the ring.
    unsigned n = io_uring_peek_batch_cqe(ring_.get(), batch, kReapBatch);
    if (n == 0) return;
    for (unsigned i = 0; i < n; ++i) done[i] = {batch[i]->user_data, batch[i]->res};
    io_uring_cq_advance(ring_.get(), n);
    for (unsigned i = 0; i < n; ++i) complete(done[i].user_data, done[i].res);
  }
}

void UringDriver::complete(std::uint64_t user_data, int res) noexcept {
  if (user_data == kWakeToken) {
    wake_armed_ = false;
    wake_.clear();
    arm_wake();
    return;
  }
  if (user_data == LIBURING_UDATA_TIMEOUT) return;
  if (detail::is_op_token(user_data)) {
    complete_op(detail::op_of(user_data), res);
    return;
  }
  int fd = detail::poll_token_fd(user_data);
  std::uint32_t seq = detail::poll_token_seq(user_data);
  FdState* st = find(fd);
  if (!st || seq == 0) return;  // a cancellation's own result
  Direction dir;
  if (seq == st->armed[read_dir]) {
    dir = read_dir;
  } else if (seq == st->armed[write_dir]) {
    dir = write_dir;
  } else {
    return;  // cancelled, or armed for a descriptor since closed: stale
  }
  st->armed[dir] = 0;
  std::size_t woken;
  if (res >= 0) {
    woken = st->waits.complete(detail::ready_from_revents(static_cast<unsigned>(res)), {});
  } else if (res == -ECANCELED) {
    woken = 0;  // dropped by the kernel itself; sync_polls arms it again if needed
  } else {
    // -EBADF: the descriptor was closed behind the driver's back. Anything else is as final.
    woken = st->waits.complete(event_of(dir), std::error_code(-res, std::system_category()));
  }
  waiting_ -= woken;
  if (!sync_polls(fd, *st)) {
    waiting_ -= st->waits.complete(detail::kAllEvents, make_error_code(Errc::resource_exhausted));
  }
}

void UringDriver::wake() noexcept { wake_.notify(); }

// Fails the fd's waits and operations with Errc::closed and cancels its requests at once rather
// than at the next turn: a request in flight holds a reference to the file, which would keep a
// closed socket open meanwhile.
void UringDriver::drop_fd(int fd) noexcept {
  FdState* st = find(fd);
  if (!st) return;
  waiting_ -= st->waits.complete(detail::kAllEvents, make_error_code(Errc::closed));
  bool polls = st->armed[read_dir] || st->armed[write_dir];
  if (!polls && !st->ops) return;
  if (polls) sync_polls(fd, *st);
  cancel_ops_of(*st);
  // With deferred task work a cancelled request lets go of the file only when the task work runs:
  // run it now (its completions are reaped with the next turn's).
  if (defer_taskrun_) {
    io_uring_submit_and_get_events(ring_.get());
  } else {
    io_uring_submit(ring_.get());
  }
}

void UringDriver::close_fd(int fd) noexcept { drop_fd(fd); }

void UringDriver::forget_fd(int fd) noexcept { drop_fd(fd); }

}  // namespace fern
