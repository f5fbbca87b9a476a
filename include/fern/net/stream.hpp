// Stream: buffered reading and writing over a Transport (a Socket or a TLS session), the way
// sequential protocol code wants it: read_line with a maximum length, read_until, read_exact, and
// writes gathered in a buffer until flush(). Reads and writes park only the calling greenlet, each
// bounded by the transport's timeout. End of stream is a value: read_line returns what is left
// (empty at the end); read_exact fails with Errc::unexpected_eof. A line longer than its maximum
// fails with Errc::limit_exceeded and consumes nothing, so a caller can report it and close.
//
// Parsers that work on bytes (HTTP, RESP) use the buffer directly: buffered() / fill() / consume().
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fern/net/socket.hpp"
#include "fern/net/transport.hpp"

namespace fern::net {

class Stream {
 public:
  static constexpr std::size_t kDefaultBufferSize = 16 * 1024;
  static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

  explicit Stream(Socket socket, std::size_t buffer_size = kDefaultBufferSize);
  explicit Stream(std::unique_ptr<Transport> transport, std::size_t buffer_size = kDefaultBufferSize);
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;
  ~Stream() = default;

  Transport& transport() noexcept { return *transport_; }
  void set_timeout(Duration timeout) noexcept { transport_->set_timeout(timeout); }

  // --- reading
  // Up to `size` bytes: from the buffer if it holds any, else one read of the transport.
  std::size_t read_some(void* data, std::size_t size);
  // Through the next '\n' (included); the rest at end of stream; empty when nothing is left.
  std::string read_line(std::size_t max_length = kDefaultMaxLine);
  // Through the next `delimiter` (included); otherwise as read_line.
  std::string read_until(std::string_view delimiter, std::size_t max_length = kDefaultMaxLine);
  void read_exact(void* data, std::size_t size);
  std::string read_exact(std::size_t size);

  // The bytes read ahead and not yet consumed.
  std::string_view buffered() const noexcept { return {read_.data() + begin_, end_ - begin_}; }
  void consume(std::size_t size) noexcept;
  // Reads more into the buffer (growing it if full); returns the bytes added, 0 at end of stream.
  std::size_t fill();
  std::size_t fill(std::error_code& ec);

  // --- writing
  // Buffers `data`; sends when the buffer would overflow (a large write goes straight through).
  void write(std::string_view data);
  void write(std::string_view data, std::error_code& ec);
  // Sends everything buffered.
  void flush();
  void flush(std::error_code& ec);
  std::size_t pending_write() const noexcept { return write_.size(); }

  // Flushes (errors ignored) and closes the transport.
  void close() noexcept;

 private:
  std::size_t find_or_fill(std::string_view delimiter, std::size_t max_length);
  void send_direct(const char* data, std::size_t size, std::error_code& ec);

  std::unique_ptr<Transport> transport_;
  std::vector<char> read_;
  std::size_t begin_ = 0;  // unconsumed bytes are read_[begin_, end_)
  std::size_t end_ = 0;
  std::string write_;
  std::size_t write_capacity_;
};

}  // namespace fern::net
