// A real TCP client for the I/O-model servers: a non-blocking socket driven by poll(2), so every call
// has a timeout and a broken server fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server_process.hpp"

namespace io_models_test {

class TestClient {
 public:
  // Connects to 127.0.0.1:port (throws std::runtime_error on failure or after the timeout).
  explicit TestClient(int port, std::chrono::milliseconds timeout = kPatience);
  TestClient(TestClient&& other) noexcept;
  TestClient& operator=(TestClient&&) = delete;
  ~TestClient();

  void send_all(std::string_view bytes, std::chrono::milliseconds timeout = kPatience);
  // Exactly `size` bytes (throws on end of stream, a reset or the timeout).
  std::string recv_exact(std::size_t size, std::chrono::milliseconds timeout = kPatience);
  // Bytes up to and including `terminator`.
  std::string recv_until(std::string_view terminator, std::chrono::milliseconds timeout = kPatience);
  // Sends `payload` while reading the reply as it comes (a large echo would deadlock a client that
  // sent everything first) and returns the first `reply_size` bytes received. Sending stops there: a
  // caller that wants only the start of a reply leaves the rest of its payload unsent.
  std::string exchange(std::string_view payload, std::size_t reply_size,
                       std::chrono::milliseconds timeout = kPatience);
  // Whether a byte (or end of stream) arrives within `wait`. Used only to show that nothing came.
  bool readable_within(std::chrono::milliseconds wait);

  // Closes with SO_LINGER 0: the kernel sends RST and drops unsent data, as a crashed client would.
  void reset();
  void close();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// A payload of `size` bytes drawn from `alphabet`, different for each `seed`.
std::string make_payload(std::size_t size, unsigned seed,
                         std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789");

// Runs `body(i)` for i in [0, count) on `count` threads and returns the failures ("client 7: ...").
std::vector<std::string> run_concurrently(int count, const std::function<void(int)>& body);

}  // namespace io_models_test
