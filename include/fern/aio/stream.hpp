// aio::Stream: a buffered byte stream for tasks, asyncio's StreamReader and StreamWriter in one:
// read_line, read_until, read_exact, read_some and write, each awaitable and each bounded by a
// timeout. Reads are buffered (one read fills the buffer; lines and exact reads are cut from it);
// writes go out at once, so there is nothing to drain.
//
// Over a descriptor (Stream(fd)) it does not own it: close it with fern::close_fd after the stream
// is done. Over a transport (Stream(std::make_unique<net::Socket>(...)), or a net::TlsSocket, as
// aio::open_connection and aio::Server make) it owns it and close() or the destructor closes it.
//
// How it blocks: on a plain socket an operation that cannot complete from the buffer suspends the
// task on the fd (aio::sock_recv / sock_sendall), never the hub. A TLS session parks in OpenSSL's
// calls as a greenlet does; the stream runs each such read or write through aio::in_greenlet.
// End of stream: read_line returns what is left (empty at a clean end), read_some returns 0,
// read_exact and read_until throw Errc::unexpected_eof.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"
#include "fern/net/transport.hpp"

namespace fern::aio {

class Stream {
 public:
  explicit Stream(int fd, std::size_t buffer_size = 16 * 1024);
  // Owns `transport` (a connected net::Socket or net::TlsSocket).
  explicit Stream(std::unique_ptr<net::Transport> transport, std::size_t buffer_size = 16 * 1024);
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  // Closes an owned transport (a descriptor given by number stays open).
  void close() noexcept;

  int fd() const noexcept { return fd_; }

  // The next line, its '\n' included; what is left (maybe empty) at end of stream. A line longer
  // than `max_length` throws Errc::limit_exceeded.
  Task<std::string> read_line(std::size_t max_length = 64 * 1024, Duration timeout = kForever);
  // Everything up to and including `separator` (asyncio's readuntil); Errc::unexpected_eof when the
  // stream ends first, Errc::limit_exceeded past `max_length`.
  Task<std::string> read_until(std::string_view separator, std::size_t max_length = 64 * 1024,
                               Duration timeout = kForever);
  // Exactly `n` bytes; Errc::unexpected_eof when the stream ends first.
  Task<std::string> read_exact(std::size_t n, Duration timeout = kForever);
  // Up to `size` bytes (buffered ones first); 0 at end of stream.
  Task<std::size_t> read_some(char* out, std::size_t size, Duration timeout = kForever);
  // All of `data`.
  Task<void> write(std::string_view data, Duration timeout = kForever);

  // Bytes read from the socket and not yet returned.
  std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  // One read into the buffer; false at end of stream.
  Task<bool> fill(TimePoint deadline);
  // The two ways bytes move: the fd's awaits, or the transport's calls run in a greenlet.
  Task<std::size_t> recv_raw(char* out, std::size_t size, Duration timeout);
  Task<void> send_raw(std::string_view data, Duration timeout);
  std::string_view available() const noexcept { return {buffer_.data() + begin_, end_ - begin_}; }

  int fd_;
  std::unique_ptr<net::Transport> transport_;
  bool native_ = true;  // fd_ is read and written with the fd awaits
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace fern::aio
