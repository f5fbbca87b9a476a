#include "fern/net/stream.hpp"

#include <algorithm>
#include <cstring>

#include "fern/base/error.hpp"

namespace fern::net {

Stream::Stream(Socket socket, std::size_t buffer_size)
    : Stream(std::make_unique<Socket>(std::move(socket)), buffer_size) {}

Stream::Stream(std::unique_ptr<Transport> transport, std::size_t buffer_size)
    : transport_(std::move(transport)),
      read_(std::max<std::size_t>(buffer_size, 64)),
      write_capacity_(buffer_size) {}

void Stream::consume(std::size_t size) noexcept {
  begin_ += std::min(size, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

std::size_t Stream::fill() {
  std::error_code ec;
  std::size_t n = fill(ec);
  if (ec) throw_error(ec, "fern: stream read");
  return n;
}

std::size_t Stream::fill(std::error_code& ec) {
  if (end_ == read_.size()) {
    if (begin_ > 0) {
      // Slide the unconsumed bytes to the front before growing: keeps the buffer at its size.
      std::memmove(read_.data(), read_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      read_.resize(read_.size() * 2);
    }
  }
  std::size_t n = transport_->read_some(read_.data() + end_, read_.size() - end_, ec);
  end_ += n;
  return n;
}

std::size_t Stream::read_some(void* data, std::size_t size) {
  if (begin_ == end_) {
    // Large reads bypass the buffer; small ones fill it so the next reads cost nothing.
    if (size >= read_.size()) {
      std::error_code ec;
      std::size_t n = transport_->read_some(data, size, ec);
      if (ec) throw_error(ec, "fern: stream read");
      return n;
    }
    if (fill() == 0) return 0;
  }
  std::size_t n = std::min(size, end_ - begin_);
  std::memcpy(data, read_.data() + begin_, n);
  consume(n);
  return n;
}

// Returns the length through the delimiter, or the length of what is left at end of stream.
std::size_t Stream::find_or_fill(std::string_view delimiter, std::size_t max_length) {
  std::size_t searched = 0;
  for (;;) {
    std::string_view have = buffered();
    std::size_t from = searched >= delimiter.size() ? searched - delimiter.size() + 1 : 0;
    std::size_t at = have.find(delimiter, from);
    if (at != std::string_view::npos) {
      std::size_t length = at + delimiter.size();
      if (length > max_length) break;
      return length;
    }
    if (have.size() > max_length) break;
    searched = have.size();
    if (fill() == 0) return buffered().size();
  }
  throw_error(Errc::limit_exceeded, "fern: stream line longer than its maximum length");
}

std::string Stream::read_line(std::size_t max_length) { return read_until("\n", max_length); }

std::string Stream::read_until(std::string_view delimiter, std::size_t max_length) {
  std::size_t length = find_or_fill(delimiter, max_length);
  std::string line(buffered().substr(0, length));
  consume(length);
  return line;
}

void Stream::read_exact(void* data, std::size_t size) {
  char* out = static_cast<char*>(data);
  while (size > 0) {
    std::size_t n = read_some(out, size);
    if (n == 0) throw_error(Errc::unexpected_eof, "fern: stream read_exact");
    out += n;
    size -= n;
  }
}

std::string Stream::read_exact(std::size_t size) {
  std::string out(size, '\0');
  read_exact(out.data(), size);
  return out;
}

void Stream::write(std::string_view data) {
  std::error_code ec;
  write(data, ec);
  if (ec) throw_error(ec, "fern: stream write");
}

void Stream::write(std::string_view data, std::error_code& ec) {
  ec.clear();
  if (write_.size() + data.size() <= write_capacity_) {
    write_.append(data);
    return;
  }
  flush(ec);
  if (ec) return;
  if (data.size() >= write_capacity_) {
    send_direct(data.data(), data.size(), ec);
  } else {
    write_.append(data);
  }
}

void Stream::flush() {
  std::error_code ec;
  flush(ec);
  if (ec) throw_error(ec, "fern: stream flush");
}

void Stream::flush(std::error_code& ec) {
  ec.clear();
  if (write_.empty()) return;
  send_direct(write_.data(), write_.size(), ec);
  write_.clear();
}

void Stream::send_direct(const char* data, std::size_t size, std::error_code& ec) {
  while (size > 0) {
    std::size_t n = transport_->write_some(data, size, ec);
    if (ec) return;
    data += n;
    size -= n;
  }
}

void Stream::close() noexcept {
  if (!transport_) return;
  std::error_code ignored;
  flush(ignored);
  transport_->close();
}

}  // namespace fern::net
