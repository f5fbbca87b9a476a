// UringDriver's operations: socket I/O the kernel performs into the parked caller's IoOp.
#include <liburing.h>

#include <cerrno>

#include "fern/base/error.hpp"
#include "fern/hub/waiter.hpp"
#include "uring_fd_state.hpp"

namespace fern {

// Fills a free SQE for `op`; false when the ring is full even after a flush.
bool UringDriver::queue_op(IoOp& op) noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return false;
  switch (op.kind) {
    case IoOp::Kind::recv: io_uring_prep_recv(sqe, op.fd, op.data, op.size, op.flags); break;
    case IoOp::Kind::send: io_uring_prep_send(sqe, op.fd, op.data, op.size, op.flags); break;
    case IoOp::Kind::sendmsg:
      io_uring_prep_sendmsg(sqe, op.fd, op.message, static_cast<unsigned>(op.flags));
      break;
    case IoOp::Kind::recvmsg:
      io_uring_prep_recvmsg(sqe, op.fd, op.message, static_cast<unsigned>(op.flags));
      break;
    case IoOp::Kind::accept: io_uring_prep_accept(sqe, op.fd, op.address, op.address_size, op.flags); break;
    case IoOp::Kind::connect: io_uring_prep_connect(sqe, op.fd, op.address, op.address_length); break;
  }
  io_uring_sqe_set_data64(sqe, detail::op_token(op));
  return true;
}

void UringDriver::submit(IoOp& op) {
  FdState& st = state(op.fd);
  op.done = false;
  op.closed = false;
  op.result = 0;
  if (!queue_op(op)) throw_error(Errc::resource_exhausted, "fern: the io_uring submission queue is full");
  detail::link_op(st.ops, op);
  ++waiting_;
}

void UringDriver::complete_op(IoOp& op, int res) noexcept {
  if (op.closed) {
    detail::unlink_op(orphans_, op);
  } else {
    detail::unlink_op(fds_[static_cast<std::size_t>(op.fd)].ops, op);
  }
  --waiting_;
  op.result = res;
  op.done = true;
  if (Waiter* w = op.waiter) w->wake();
}

// Waits in the kernel rather than parking: the caller is unwinding (a kill) or has given up (a
// timeout), and a socket operation's cancel completes in the io_uring_enter that submits it. Other
// requests that complete meanwhile are handled as the loop would (their waiters are woken).
void UringDriver::cancel(IoOp& op) noexcept {
  op.waiter = nullptr;
  if (op.done) return;
  // Without a free SQE the operation is still waited for: it ends on its own, or when its
  // descriptor is closed.
  queue_cancel(op);
  while (!op.done) {
    int rc = io_uring_submit_and_wait(ring_.get(), 1);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) break;
    reap();
  }
}

// close_fd: the operations end with -ECANCELED (or whatever they achieved first) and their
// callers see Errc::closed. They leave the descriptor's list at once, so a new descriptor that
// reuses the number starts clean; the orphans list keeps them reachable until they complete.
void UringDriver::cancel_ops_of(FdState& st) noexcept {
  while (IoOp* op = st.ops) {
    detail::unlink_op(st.ops, *op);
    op->closed = true;
    detail::link_op(orphans_, *op);
    queue_cancel(*op);
  }
}

void UringDriver::queue_cancel(IoOp& op) noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (!sqe) return;
  io_uring_prep_cancel64(sqe, detail::op_token(op), 0);
  io_uring_sqe_set_data64(sqe, detail::kCancelToken);
  if (skip_cancel_cqe_) io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
}

// In a forked child: the operations in flight were submitted to the parent's ring, which the child
// no longer reaps. Those still wanted are submitted again to the child's ring (the descriptor is
// shared with the parent, as a readiness wait on it would be); orphans end as cancelled.
void UringDriver::requeue_ops_after_fork() noexcept {
  while (IoOp* op = orphans_) complete_op(*op, -ECANCELED);
  for (FdState& st : fds_) {
    for (IoOp* op = st.ops; op;) {
      IoOp* next = op->next;
      if (!queue_op(*op)) complete_op(*op, -ENOMEM);
      op = next;
    }
  }
}

}  // namespace fern
