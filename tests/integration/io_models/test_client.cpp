#include "test_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace io_models_test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }
[[noreturn]] void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

// Waits for `events` on `fd` until `deadline`; throws on timeout.
short wait_for(int fd, short events, Clock::time_point deadline, const char* what) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) fail(std::string("timed out waiting to ") + what);
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left) + 1);
    if (n < 0 && errno != EINTR) fail_errno("poll");
    if (n > 0) return p.revents;
  }
}

}  // namespace

TestClient::TestClient(int port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    if (errno != EINPROGRESS) {
      ::close(fd_);
      fail_errno("connect to port " + std::to_string(port));
    }
    wait_for(fd_, POLLOUT, Clock::now() + timeout, "connect");
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      ::close(fd_);
      errno = error;
      fail_errno("connect to port " + std::to_string(port));
    }
  }
}

TestClient::TestClient(TestClient&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

TestClient::~TestClient() { close(); }

void TestClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TestClient::reset() {
  linger abort{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close();
}

void TestClient::send_all(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_for(fd_, POLLOUT, deadline, "send");
    } else if (errno != EINTR) {
      fail_errno("send");
    }
  }
}

std::string TestClient::exchange(std::string_view payload, std::size_t reply_size,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string reply;
  std::vector<char> buffer(std::min<std::size_t>(256 * 1024, std::max<std::size_t>(reply_size, 1)));
  while (reply.size() < reply_size) {
    const short want = static_cast<short>(POLLIN | (payload.empty() ? 0 : POLLOUT));
    const short ready = wait_for(fd_, want, deadline, "exchange");
    if (ready & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(fd_, buffer.data(), std::min(buffer.size(), reply_size - reply.size()), 0);
      if (n == 0)
        fail("end of stream after " + std::to_string(reply.size()) + " of " + std::to_string(reply_size) +
             " reply bytes");
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail_errno("recv");
      if (n > 0) reply.append(buffer.data(), static_cast<std::size_t>(n));
    }
    if (!payload.empty() && (ready & POLLOUT)) {
      const ssize_t n = ::send(fd_, payload.data(), payload.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail_errno("send");
      if (n > 0) payload.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  return reply;
}

std::string TestClient::recv_exact(std::size_t size, std::chrono::milliseconds timeout) {
  return exchange({}, size, timeout);
}

std::string TestClient::recv_until(std::string_view terminator, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string received;
  while (received.size() < terminator.size() ||
         received.compare(received.size() - terminator.size(), terminator.size(), terminator) != 0) {
    received +=
        exchange({}, 1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  }
  return received;
}

bool TestClient::readable_within(std::chrono::milliseconds wait) {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

std::string make_payload(std::size_t size, unsigned seed, std::string_view alphabet) {
  // A xorshift generator: cheap enough for many mebibytes in a sanitizer build, and every byte depends
  // on the seed and its position, so a reply with bytes swapped, lost or repeated does not compare equal.
  std::uint64_t state = 0x9e3779b97f4a7c15ull * (seed + 1);
  std::string payload(size, '\0');
  for (char& c : payload) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    c = alphabet[(state >> 32) % alphabet.size()];
  }
  return payload;
}

std::vector<std::string> run_concurrently(int count, const std::function<void(int)>& body) {
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      try {
        body(i);
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.push_back("client " + std::to_string(i) + ": " + e.what());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return failures;
}

}  // namespace io_models_test
