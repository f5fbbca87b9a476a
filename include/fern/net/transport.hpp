// Transport: a byte stream a Stream can buffer, whatever carries it (a TCP or Unix Socket, a TLS
// session over one). Reads and writes park only the calling greenlet, up to the transport's timeout.
#pragma once

#include <cstddef>
#include <system_error>

#include "fern/base/clock.hpp"

namespace fern::net {

class Transport {
 public:
  virtual ~Transport() = default;

  // Reads up to `size` bytes into `data`; returns how many, 0 at end of stream. On failure sets
  // `ec` (Errc::timed_out after the timeout, Errc::closed if closed under the caller) and returns 0.
  virtual std::size_t read_some(void* data, std::size_t size, std::error_code& ec) = 0;
  // Writes up to `size` bytes; returns how many (at least 1 unless `ec` is set).
  virtual std::size_t write_some(const void* data, std::size_t size, std::error_code& ec) = 0;
  // Ends the sending direction (TCP FIN, TLS close_notify); reads go on.
  virtual void shutdown_write(std::error_code& ec) = 0;
  virtual void close() noexcept = 0;

  // The timeout each read or write waits at most; kForever by default.
  virtual void set_timeout(Duration timeout) noexcept = 0;
  virtual Duration timeout() const noexcept = 0;
};

}  // namespace fern::net
