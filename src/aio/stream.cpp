#include "fern/aio/stream.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <utility>

#include "fern/aio/fd.hpp"
#include "fern/aio/in_greenlet.hpp"
#include "fern/base/error.hpp"
#include "fern/net/socket.hpp"

namespace fern::aio {

namespace {
Duration left_until(TimePoint deadline) {
  if (deadline == TimePoint::max()) return kForever;
  return std::max(deadline - Clock::now(), Duration::zero());
}
}  // namespace

Stream::Stream(int fd, std::size_t buffer_size) : fd_(fd), buffer_(std::max<std::size_t>(buffer_size, 64)) {}

Stream::Stream(std::unique_ptr<net::Transport> transport, std::size_t buffer_size)
    : fd_(-1), transport_(std::move(transport)), buffer_(std::max<std::size_t>(buffer_size, 64)) {
  // A plain socket is read and written natively; anything else (TLS) through its own calls.
  if (auto* socket = dynamic_cast<net::Socket*>(transport_.get())) {
    fd_ = socket->fd();
  } else {
    native_ = false;
  }
}

Stream::~Stream() { close(); }

void Stream::close() noexcept {
  if (transport_) transport_->close();
}

Task<std::size_t> Stream::recv_raw(char* out, std::size_t size, Duration timeout) {
  if (native_) co_return co_await sock_recv(fd_, out, size, timeout);
  co_return co_await in_greenlet([this, out, size, timeout] {
    transport_->set_timeout(timeout);
    std::error_code ec;
    std::size_t n = transport_->read_some(out, size, ec);
    if (ec) throw std::system_error(ec, "fern: stream read");
    return n;
  });
}

Task<void> Stream::send_raw(std::string_view data, Duration timeout) {
  if (native_) {
    co_await sock_sendall(fd_, data.data(), data.size(), timeout);
    co_return;
  }
  co_await in_greenlet([this, data, timeout] {
    const TimePoint deadline = deadline_after(timeout);
    std::size_t sent = 0;
    while (sent < data.size()) {
      transport_->set_timeout(left_until(deadline));
      std::error_code ec;
      sent += transport_->write_some(data.data() + sent, data.size() - sent, ec);
      if (ec) throw std::system_error(ec, "fern: stream write");
    }
  });
}

Task<bool> Stream::fill(TimePoint deadline) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buffer_.size()) {
    // Keep the unread bytes, move them to the front to make room.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  }
  std::size_t n = co_await recv_raw(buffer_.data() + end_, buffer_.size() - end_, left_until(deadline));
  end_ += n;
  co_return n > 0;
}

Task<std::string> Stream::read_line(std::size_t max_length, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  std::size_t scanned = 0;  // bytes already searched for '\n'
  for (;;) {
    std::string_view have = available();
    std::size_t nl = have.find('\n', scanned);
    if (nl != std::string_view::npos) {
      if (nl + 1 > max_length) throw_error(Errc::limit_exceeded, "fern: line too long");
      begin_ += nl + 1;
      co_return std::string(have.substr(0, nl + 1));
    }
    if (have.size() >= max_length) throw_error(Errc::limit_exceeded, "fern: line too long");
    scanned = have.size();
    const bool more = co_await fill(deadline);
    if (!more) {
      std::string rest(available());
      begin_ = end_;
      co_return rest;
    }
  }
}

Task<std::string> Stream::read_until(std::string_view separator, std::size_t max_length, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  for (;;) {
    std::string_view have = available();
    std::size_t at = separator.empty() ? 0 : have.find(separator);
    if (at != std::string_view::npos) {
      const std::size_t n = at + separator.size();
      if (n > max_length) throw_error(Errc::limit_exceeded, "fern: no separator within the limit");
      begin_ += n;
      co_return std::string(have.substr(0, n));
    }
    if (have.size() >= max_length) throw_error(Errc::limit_exceeded, "fern: no separator within the limit");
    const bool more = co_await fill(deadline);
    if (!more) throw_error(Errc::unexpected_eof, "fern: stream ended before the separator");
  }
}

Task<std::string> Stream::read_exact(std::size_t n, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  while (buffered() < n) {
    const bool more = co_await fill(deadline);
    if (!more) throw_error(Errc::unexpected_eof, "fern: stream ended before read_exact");
  }
  std::string out(available().substr(0, n));
  begin_ += n;
  co_return out;
}

Task<std::size_t> Stream::read_some(char* out, std::size_t size, Duration timeout) {
  if (buffered() == 0 && size >= buffer_.size()) co_return co_await recv_raw(out, size, timeout);
  if (buffered() == 0) {
    const bool more = co_await fill(deadline_after(timeout));
    if (!more) co_return 0;
  }
  std::size_t n = std::min(size, buffered());
  std::memcpy(out, buffer_.data() + begin_, n);
  begin_ += n;
  co_return n;
}

Task<void> Stream::write(std::string_view data, Duration timeout) { co_await send_raw(data, timeout); }

}  // namespace fern::aio
