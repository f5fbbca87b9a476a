// Socket: a TCP, UDP or Unix socket whose blocking calls park only the calling greenlet (gevent's
// cooperative socket). The descriptor is always non-blocking underneath: each call tries the system
// call first and waits on the hub only when the kernel says EAGAIN, so a ready socket costs one
// syscall. Every blocking call waits at most the socket's timeout (set_timeout, kForever by default)
// or the timeout given to it, then fails with Errc::timed_out; closing the socket from another
// greenlet fails its waiters with Errc::closed. End of stream is a value (recv returns 0), never an
// exception. Calls throw std::system_error; the hot ones also take a std::error_code&.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/net/address.hpp"
#include "fern/net/transport.hpp"

namespace fern::net {

class Socket final : public Transport {
 public:
  Socket() noexcept = default;
  // socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
  Socket(int family, int type, int protocol = 0);
  static Socket tcp(int family = AF_INET) { return Socket(family, SOCK_STREAM); }
  static Socket udp(int family = AF_INET) { return Socket(family, SOCK_DGRAM); }
  static Socket unix_stream() { return Socket(AF_UNIX, SOCK_STREAM); }
  static Socket unix_datagram() { return Socket(AF_UNIX, SOCK_DGRAM); }
  // Takes ownership of an open descriptor and makes it non-blocking.
  static Socket adopt(int fd);

  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  ~Socket() override { close(); }

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return is_open(); }
  // Gives the descriptor up without closing it.
  int release() noexcept;
  // Closes the descriptor and wakes every greenlet waiting on it with Errc::closed. Idempotent.
  void close() noexcept override;

  void set_timeout(Duration timeout) noexcept override { timeout_ = timeout; }
  Duration timeout() const noexcept override { return timeout_; }

  // --- connection set-up
  void connect(const Address& peer) { connect(peer, timeout_); }
  void connect(const Address& peer, Duration timeout);
  void connect(const Address& peer, Duration timeout, std::error_code& ec);
  void bind(const Address& local);
  void listen(int backlog = SOMAXCONN);
  // Waits for a connection; the new socket inherits nothing but is non-blocking. `peer` gets the
  // client's address when given.
  Socket accept(Address* peer = nullptr);
  Socket accept(Address* peer, std::error_code& ec);

  // --- stream I/O
  std::size_t send(const void* data, std::size_t size);
  std::size_t send(std::string_view data) { return send(data.data(), data.size()); }
  std::size_t send(const void* data, std::size_t size, std::error_code& ec);
  // Sends everything, waiting as often as needed (each wait bounded by the timeout).
  void send_all(const void* data, std::size_t size);
  void send_all(std::string_view data) { send_all(data.data(), data.size()); }
  // writev: gathers several buffers in one call; returns the bytes sent.
  std::size_t send_vectors(const iovec* vectors, int count, std::error_code& ec);

  // Reads up to `size` bytes; 0 at end of stream.
  std::size_t recv(void* data, std::size_t size);
  std::size_t recv(void* data, std::size_t size, std::error_code& ec);
  std::size_t recv_into(std::span<char> buffer) { return recv(buffer.data(), buffer.size()); }
  // Up to `max_size` bytes as a string; empty at end of stream.
  std::string recv(std::size_t max_size);
  // Exactly `size` bytes, or Errc::unexpected_eof if the stream ends first.
  void recv_exact(void* data, std::size_t size);
  std::string recv_exact(std::size_t size);

  // --- datagrams
  std::size_t send_to(const void* data, std::size_t size, const Address& to);
  std::size_t send_to(std::string_view data, const Address& to) {
    return send_to(data.data(), data.size(), to);
  }
  std::size_t recv_from(void* data, std::size_t size, Address& from);
  std::size_t recv_from(void* data, std::size_t size, Address& from, std::error_code& ec);

  // --- the Transport interface (what Stream uses)
  std::size_t read_some(void* data, std::size_t size, std::error_code& ec) override {
    return recv(data, size, ec);
  }
  std::size_t write_some(const void* data, std::size_t size, std::error_code& ec) override {
    return send(data, size, ec);
  }
  void shutdown_write(std::error_code& ec) override;

  // --- state and options
  void shutdown(int how = SHUT_RDWR);
  Address local_address() const;
  Address peer_address() const;
  void set_option(int level, int name, int value);
  int get_option(int level, int name) const;
  void set_nodelay(bool on = true);
  void set_reuse_address(bool on = true);
  void set_reuse_port(bool on = true);
  void set_keepalive(bool on = true);

 private:
  explicit Socket(int fd, Duration timeout) noexcept : fd_(fd), timeout_(timeout) {}

  int fd_ = -1;
  Duration timeout_ = kForever;
};

// A listening TCP socket on `local` with SO_REUSEADDR (and SO_REUSEPORT when `reuse_port`).
Socket listen_tcp(const Address& local, int backlog = SOMAXCONN, bool reuse_port = false);

}  // namespace fern::net
