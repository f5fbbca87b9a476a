// FdTable: what the hook knows about each file descriptor, indexed by fd. The hook cooperates only
// on descriptors it can wait for (sockets, pipes, terminals) whose user still expects blocking
// behaviour; this table remembers which those are without a system call per I/O call.
//
// A socket the hook creates in a greenlet (socket, accept, socketpair) is "owned": the kernel
// descriptor is O_NONBLOCK while the user's view (fcntl F_GETFL, ioctl FIONBIO) stays what the user
// asked for. Any other descriptor is "foreign": its flags are never changed for long; the hook
// waits for readiness and then calls with MSG_DONTWAIT (sockets) or only once poll says ready.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace fern::hook {

enum class FdKind : std::uint8_t {
  unknown = 0,  // not looked at since it was created or closed
  socket,       // waited for, MSG_DONTWAIT works
  pollable,     // pipe, FIFO, terminal, eventfd...: waited for with poll semantics
  file,         // regular file or block device: always "ready", may still block on the disk
  other,        // directories and the like: always passed through
};

struct FdState {
  std::atomic<FdKind> kind{FdKind::unknown};
  std::atomic<bool> owned{false};                // the hook made the kernel fd O_NONBLOCK
  std::atomic<bool> user_nonblock{false};        // the O_NONBLOCK the user believes in
  std::atomic<std::int64_t> recv_timeout_ns{0};  // SO_RCVTIMEO, 0 = none
  std::atomic<std::int64_t> send_timeout_ns{0};  // SO_SNDTIMEO, 0 = none
};

class FdTable {
 public:
  static FdTable& instance();

  // The state of `fd`, or null when fd is negative or beyond the table (then always pass through).
  FdState* find(int fd) noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < size_ ? &states_[static_cast<std::size_t>(fd)] : nullptr;
  }
  // Forgets `fd`: the next use looks at it again.
  void reset(int fd) noexcept;
  // `to` now shares `from`'s open file description (dup): it shares its flags and timeouts.
  void copy(int from, int to) noexcept;
  // Records a socket the hook created with O_NONBLOCK on behalf of a user who asked for `user_nonblock`.
  void adopt_owned_socket(int fd, bool user_nonblock, std::int64_t recv_ns = 0,
                          std::int64_t send_ns = 0) noexcept;

 private:
  FdTable();
  std::unique_ptr<FdState[]> states_;
  std::size_t size_;
};

// The kind of `fd`, looked up once (fstat, F_GETFL, SO_RCVTIMEO/SO_SNDTIMEO) and then cached in `st`.
FdKind classify(int fd, FdState& st) noexcept;

// Sets or clears O_NONBLOCK on the kernel descriptor; false if fcntl failed. Keeps errno.
bool set_kernel_nonblock(int fd, bool on) noexcept;

}  // namespace fern::hook
