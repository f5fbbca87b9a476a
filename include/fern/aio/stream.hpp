// aio::Stream: a small buffered byte stream over a connected non-blocking socket, for tasks:
// read_line, read_exact, read_some and write, each awaitable and each bounded by a timeout. Reads
// are buffered (one recv fills the buffer; lines and exact reads are cut from it); writes go out
// at once. The Stream does not own the descriptor: close it with fern::close_fd after the stream
// is done with it.
//
// How it blocks: an operation that cannot complete from the buffer suspends the task on the fd
// (aio::recv / aio::send_all), never the hub. End of stream: read_line returns what is left (empty
// at a clean end), read_some returns 0, read_exact throws Errc::unexpected_eof.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"

namespace fern::aio {

class Stream {
 public:
  explicit Stream(int fd, std::size_t buffer_size = 16 * 1024);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int fd() const noexcept { return fd_; }

  // The next line, its '\n' included; what is left (maybe empty) at end of stream. A line longer
  // than `max_length` throws Errc::limit_exceeded.
  Task<std::string> read_line(std::size_t max_length = 64 * 1024, Duration timeout = kForever);
  // Exactly `n` bytes; Errc::unexpected_eof when the stream ends first.
  Task<std::string> read_exact(std::size_t n, Duration timeout = kForever);
  // Up to `size` bytes (buffered ones first); 0 at end of stream.
  Task<std::size_t> read_some(char* out, std::size_t size, Duration timeout = kForever);
  // All of `data`.
  Task<void> write(std::string_view data, Duration timeout = kForever);

  // Bytes read from the socket and not yet returned.
  std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  // One recv into the buffer; false at end of stream.
  Task<bool> fill(TimePoint deadline);
  std::string_view available() const noexcept { return {buffer_.data() + begin_, end_ - begin_}; }

  int fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace fern::aio
