// What UringDriver keeps per descriptor number, and how its requests are tagged: shared by the
// driver's readiness half (uring_driver.cpp) and its operations half (uring_ops.cpp).
#pragma once

#include <cstdint>

#include "../wait_list.hpp"
#include "fern/driver/uring_driver.hpp"

namespace fern::detail {

// A list of operations in flight: those on one descriptor, or the driver's orphans (cancelled by
// close_fd, their completions still due). Intrusive through IoOp::prev/next, `head` its only state.
inline void link_op(IoOp*& head, IoOp& op) noexcept {
  op.prev = nullptr;
  op.next = head;
  if (head) head->prev = &op;
  head = &op;
}

inline void unlink_op(IoOp*& head, IoOp& op) noexcept {
  if (op.prev) {
    op.prev->next = op.next;
  } else if (head == &op) {
    head = op.next;
  }
  if (op.next) op.next->prev = op.prev;
  op.prev = op.next = nullptr;
}

// user_data of a request. An operation's is its IoOp's address with the low bit set (IoOp is
// aligned, so the bit is free). A poll's is (sequence << 32) | (fd << 1): low bit clear, and the
// sequence, per fd and never 0, changes with every arm, so a completion for a cancelled poll or a
// closed descriptor no longer matches the armed one. The special tokens have sequence 0 and are
// even; liburing's own LIBURING_UDATA_TIMEOUT (all ones) is odd but is checked first.
constexpr std::uint64_t kWakeToken = 0xfffffffcu;
constexpr std::uint64_t kCancelToken = 0xfffffffeu;

inline std::uint64_t poll_token(int fd, std::uint32_t seq) noexcept {
  return (static_cast<std::uint64_t>(seq) << 32) | (static_cast<std::uint32_t>(fd) << 1);
}
inline int poll_token_fd(std::uint64_t token) noexcept {
  return static_cast<int>(static_cast<std::uint32_t>(token) >> 1);
}
inline std::uint32_t poll_token_seq(std::uint64_t token) noexcept {
  return static_cast<std::uint32_t>(token >> 32);
}

inline std::uint64_t op_token(IoOp& op) noexcept { return reinterpret_cast<std::uintptr_t>(&op) | 1u; }
inline bool is_op_token(std::uint64_t token) noexcept { return (token & 1u) != 0; }
inline IoOp& op_of(std::uint64_t token) noexcept {
  return *reinterpret_cast<IoOp*>(static_cast<std::uintptr_t>(token & ~std::uint64_t{1}));
}

}  // namespace fern::detail

namespace fern {

struct UringDriver::FdState {
  detail::WaitList waits;
  IoOp* ops = nullptr;          // operations submitted on this descriptor and not yet done
  std::uint32_t seq = 0;        // the last sequence number issued for this descriptor number
  std::uint32_t armed[2] = {};  // the poll in flight per direction (its sequence), 0 for none
};

}  // namespace fern
