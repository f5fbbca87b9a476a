// Driver: how a hub waits for I/O. The hub owns one; it asks the driver to sleep until an fd a
// greenlet waits on becomes ready, a timer is due, or another thread calls wake(). Implementations
// live in the driver layer (epoll, io_uring, poll, select), one per file, chosen at run time:
// FERN_DRIVER=epoll|uring|poll|select, or Hub's constructor.
//
// The hub knows drivers only through this interface and a registry: the driver layer (its own
// library, fern::driver, above the hub) registers a maker for each kind it was built with when the
// program starts, so nothing in the hub refers to a driver at link time.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"

namespace fern {

class Waiter;

enum class DriverKind { epoll, uring, poll, select };
std::string_view to_string(DriverKind kind) noexcept;

namespace io_events {
inline constexpr std::uint32_t readable = 1;
inline constexpr std::uint32_t writable = 2;
}  // namespace io_events

// One greenlet's wait on one fd; lives on the parked greenlet's stack while the driver links it.
struct IoWait {
  int fd = -1;
  std::uint32_t events = 0;  // io_events the greenlet waits for
  Waiter* waiter = nullptr;
  std::error_code result;  // set by the driver: empty when ready, Errc::closed when closed
  IoWait* prev = nullptr;  // the driver's per-fd list
  IoWait* next = nullptr;
  bool linked = false;
};

// One socket operation a completion-based driver (io_uring) performs itself: the kernel receives
// into `data`, sends from it, accepts or connects, and the driver wakes `waiter` with the result.
// It lives in the parked caller's frame; the driver holds pointers into it (and into the buffers it
// names) until `done`, which is why it is never abandoned, only cancelled (Driver::cancel).
// fern::io (fern/hub/socket_io.hpp) is the one place that fills and submits these.
struct IoOp {
  enum class Kind : std::uint8_t { recv, send, sendmsg, recvmsg, accept, connect };
  Kind kind = Kind::recv;
  int fd = -1;
  int flags = 0;         // MSG_* for recv, send, sendmsg and recvmsg; SOCK_* for accept
  void* data = nullptr;  // recv, send
  std::size_t size = 0;
  msghdr* message = nullptr;          // sendmsg (only read), recvmsg
  sockaddr* address = nullptr;        // accept: where the peer's address goes; connect: the peer
  socklen_t* address_size = nullptr;  // accept, in and out
  socklen_t address_length = 0;       // connect
  Waiter* waiter = nullptr;           // woken once done; cleared by Driver::cancel
  int result = 0;                     // the kernel's answer: >= 0 success, -errno failure
  bool done = false;
  bool closed = false;   // close_fd() cancelled it
  IoOp* prev = nullptr;  // the driver's per-fd list
  IoOp* next = nullptr;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual DriverKind kind() const noexcept = 0;

  // Sleeps up to `timeout` (zero: only looks) for I/O or wake(), then wakes the waits that are
  // ready. Never returns early without a reason; may return late by the kernel's granularity.
  virtual void poll(Duration timeout) = 0;
  // Makes a poll() in progress (or the next one) return promptly. Any thread; async-signal-safe
  // implementations are not required.
  virtual void wake() noexcept = 0;

  // Links `w`; returns false (without linking) when the fd is already known to be ready, so the
  // caller retries its I/O at once. Throws std::system_error when the fd cannot be watched.
  virtual bool start_wait(IoWait& w) = 0;
  // Unlinks `w` if still linked (timeout, kill).
  virtual void stop_wait(IoWait& w) noexcept = 0;
  // `fd` is about to be closed: every wait on it completes with Errc::closed, state is dropped.
  virtual void close_fd(int fd) noexcept = 0;
  // `fd` is a freshly created descriptor: drop anything remembered about an earlier one.
  virtual void forget_fd(int fd) noexcept = 0;
  // Whether this driver performs socket operations itself (submit). The readiness drivers do not:
  // their callers make their own system calls and wait with start_wait.
  virtual bool performs_io() const noexcept { return false; }
  // Starts `op` (not done, waiter set); the driver wakes op.waiter when it is done. Throws
  // std::system_error when the driver cannot take it (a readiness driver, a full ring).
  virtual void submit(IoOp& op);
  // Ends `op`: cancels it if still in flight and returns only once the kernel has finished with
  // it, so its frame and buffers may go. Its waiter is not woken. The result may still be a success
  // that won the race against the cancel: the caller keeps what the kernel did.
  virtual void cancel(IoOp& op) noexcept;

  // How many waits and operations are linked (the hub uses it to tell "idle" from "would block
  // forever").
  virtual std::size_t waiting() const noexcept = 0;

  // Gives back memory the driver kept only because of a spike that is over: the part of a table
  // indexed by descriptor number past the highest descriptor still in use (the epoll and poll
  // drivers). The hub calls it once per spike (Hub::release_after_spike), never during poll().
  // Linked waits, registrations and what the driver remembers about live descriptors are kept.
  virtual void release_unused_memory() noexcept {}

  // In a child after fork(2), before anything else uses the driver: replaces the kernel objects
  // shared with the parent (epoll set, wake eventfd, io_uring ring) with the child's own, closing
  // only the child's references to the inherited ones. Linked waits stay linked, or are woken to
  // re-check their descriptor (a spurious wake-up at worst). Throws std::system_error when the
  // kernel refuses a new object; the driver must not be used after that.
  virtual void reinit_after_fork() = 0;
};

using DriverMaker = std::unique_ptr<Driver> (*)();
// Registers how to make drivers of `kind` (the driver layer does this for its drivers before main;
// a program may register its own). A later registration for the same kind replaces the earlier.
void register_driver(DriverKind kind, DriverMaker make) noexcept;
// Makes a driver of `kind` with the registered maker. Throws std::system_error when the kernel
// refuses (io_uring disabled) or when no driver of that kind is linked into the program.
std::unique_ptr<Driver> make_driver(DriverKind kind);
// FERN_DRIVER from the environment, else epoll.
DriverKind default_driver_kind();

}  // namespace fern
