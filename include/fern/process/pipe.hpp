// PipeEnd: one end of a pipe, owned by this process and used from greenlets: the parent's side of
// a subprocess's stdin, stdout or stderr, or either end of make_pipe(). The descriptor is
// non-blocking and close-on-exec; read() and write_all() try the system call first and park only
// the calling greenlet (through fern::wait_fd) while the pipe is empty or full. Closing goes
// through fern::close_fd, which wakes any greenlet still waiting on the end.
//
// Writing to a pipe whose reader is gone fails with EPIPE and never raises SIGPIPE: the write
// blocks SIGPIPE in the calling thread for its duration and consumes the signal it caused (three
// extra system calls per write: two pthread_sigmask and a sigpending, plus a sigtimedwait after an
// EPIPE). Use an end from the hub thread that created it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"

namespace fern::subprocess {

class PipeEnd {
 public:
  PipeEnd() noexcept = default;
  // Takes ownership of `fd`, which the caller has made non-blocking.
  explicit PipeEnd(int fd) noexcept : fd_(fd) {}
  PipeEnd(PipeEnd&& other) noexcept;
  PipeEnd& operator=(PipeEnd&& other) noexcept;
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;
  ~PipeEnd() { close(); }

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return is_open(); }

  // One attempt, never parks: the bytes moved, or 0 with `ec` set (Errc::would_block when the pipe
  // is empty or full, EPIPE when the reader is gone, ...). read_some returns 0 without an error
  // at end of stream.
  std::size_t read_some(void* data, std::size_t size, std::error_code& ec) noexcept;
  std::size_t write_some(const void* data, std::size_t size, std::error_code& ec) noexcept;

  // Parks until some bytes arrive and returns how many (0 at end of stream). Throws
  // std::system_error: Errc::timed_out, Errc::closed when the end is closed meanwhile, or the
  // kernel's error.
  std::size_t read(void* data, std::size_t size, Duration timeout = kForever);
  // Everything up to end of stream, bounded by one overall timeout.
  std::string read_all(Duration timeout = kForever);
  // Writes all of `data`, parking while the pipe is full; same errors as read(), EPIPE included.
  void write_all(std::string_view data, Duration timeout = kForever);

  // Closes through fern::close_fd; idempotent.
  void close() noexcept;
  // Gives up ownership without closing.
  int release() noexcept;

 private:
  int fd_ = -1;
};

struct Pipe {
  PipeEnd read_end;
  PipeEnd write_end;
};

// A new pipe, both ends non-blocking and close-on-exec. Throws std::system_error (EMFILE, ...).
Pipe make_pipe();

}  // namespace fern::subprocess
