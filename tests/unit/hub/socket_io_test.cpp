// fern::io under whichever driver FERN_DRIVER names (the driver matrix runs this file under each):
// on io_uring these are ring operations, elsewhere readiness loops; the behaviour must not differ.
// The cases that matter most for the completion path: a timeout, a kill or a close_fd ends an
// operation the kernel holds, and no byte or connection is lost to it.
#include "fern/hub/socket_io.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/timeout.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

struct SocketPair {
  int fd[2];
  explicit SocketPair(int type = SOCK_STREAM) {
    if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0) throw_errno("socketpair");
    adopt_fd(fd[0]);
    adopt_fd(fd[1]);
  }
  ~SocketPair() {
    for (int f : fd) {
      if (f >= 0) close_fd(f);
    }
  }
};

int tcp_socket() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  adopt_fd(fd);
  return fd;
}

sockaddr_in loopback(std::uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// A listening socket on an ephemeral loopback port; port() tells which.
struct Listener {
  int fd = tcp_socket();
  Listener() {
    sockaddr_in a = loopback();
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw_errno("bind");
    if (::listen(fd, 64) != 0) throw_errno("listen");
  }
  ~Listener() { close_fd(fd); }
  sockaddr_in address() const {
    sockaddr_in a{};
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    return a;
  }
};

std::string recv_some(int fd, Duration timeout, std::error_code& ec) {
  char buf[256];
  ssize_t n = io::recv(fd, buf, sizeof buf, 0, timeout, ec);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

std::string recv_some(int fd) {
  std::error_code ec;
  std::string s = recv_some(fd, kForever, ec);
  if (ec) throw std::system_error(ec, "recv");
  return s;
}

void send_text(int fd, const std::string& text) {
  std::error_code ec;
  ASSERT_EQ(io::send(fd, text.data(), text.size(), MSG_NOSIGNAL, kForever, ec),
            static_cast<ssize_t>(text.size()));
  ASSERT_FALSE(ec) << ec.message();
}

TEST(SocketIo, RecvParksUntilDataArrives) {
  SocketPair sp;
  auto reader = spawn([&] { return recv_some(sp.fd[0]); });
  sleep(1ms);
  EXPECT_FALSE(reader->ready());
  send_text(sp.fd[1], "hello");
  EXPECT_EQ(reader.get(), "hello");
}

TEST(SocketIo, EndOfStreamIsZero) {
  SocketPair sp;
  auto reader = spawn([&] { return recv_some(sp.fd[0]); });
  sleep(1ms);
  ::shutdown(sp.fd[1], SHUT_WR);
  EXPECT_EQ(reader.get(), "");
}

// The cancelled receive must not have taken the bytes that arrive after it gave up.
TEST(SocketIo, RecvTimesOutAndLosesNothing) {
  SocketPair sp;
  for (int i = 0; i < 20; ++i) {
    std::error_code ec;
    EXPECT_EQ(recv_some(sp.fd[0], 1ms, ec), "");
    EXPECT_EQ(ec, Errc::timed_out);
    send_text(sp.fd[1], "after " + std::to_string(i));
    EXPECT_EQ(recv_some(sp.fd[0]), "after " + std::to_string(i));
  }
}

// A kill unwinds the greenlet only once the kernel has let go of its buffer (on the greenlet's
// stack); the bytes sent afterwards go to the next reader, not into the dead frame.
TEST(SocketIo, KillDuringRecvLosesNothing) {
  SocketPair sp;
  auto reader = spawn([&] { return recv_some(sp.fd[0]); });
  sleep(1ms);
  reader->kill();
  EXPECT_TRUE(reader->ready());
  send_text(sp.fd[1], "for the next reader");
  EXPECT_EQ(recv_some(sp.fd[0]), "for the next reader");
}

TEST(SocketIo, TimeoutScopeDuringRecvLosesNothing) {
  SocketPair sp;
  EXPECT_THROW(
      {
        Timeout scope(2ms);
        recv_some(sp.fd[0]);
      },
      TimeoutError);
  send_text(sp.fd[1], "still here");
  EXPECT_EQ(recv_some(sp.fd[0]), "still here");
}

TEST(SocketIo, CloseFdEndsAParkedRecvWithClosed) {
  auto sp = std::make_unique<SocketPair>();
  int fd = sp->fd[0];
  auto reader = spawn([fd] {
    std::error_code ec;
    recv_some(fd, kForever, ec);
    return ec;
  });
  sleep(1ms);
  close_fd(fd);
  sp->fd[0] = -1;
  EXPECT_EQ(reader.get(), Errc::closed);
  // The peer sees the close at once, without waiting for a turn of the loop: nothing in the
  // kernel still holds the socket open.
  char c;
  EXPECT_EQ(::recv(sp->fd[1], &c, 1, MSG_DONTWAIT), 0) << std::strerror(errno);
}

// The number of a closed descriptor is reused at once; a receive on the new one must not see the
// old one's cancelled operation.
TEST(SocketIo, AReusedDescriptorNumberStartsClean) {
  auto first = std::make_unique<SocketPair>();
  auto reader = spawn([fd = first->fd[0]] {
    std::error_code ec;
    recv_some(fd, kForever, ec);
    return ec;
  });
  sleep(1ms);
  first.reset();
  SocketPair second;
  EXPECT_EQ(reader.get(), Errc::closed);
  send_text(second.fd[1], "new");
  EXPECT_EQ(recv_some(second.fd[0]), "new");
}

TEST(SocketIo, ManyParkedReceivesAtOnce) {
  // More than the io_uring driver's 256 submission entries; fewer than select's 1024 descriptors.
  constexpr int kPairs = 400;
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<GreenletRef<std::string>> readers;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back(std::make_unique<SocketPair>());
    readers.push_back(spawn([fd = pairs.back()->fd[0]] { return recv_some(fd); }));
  }
  sleep(1ms);
  for (int i = 0; i < kPairs; ++i) send_text(pairs[i]->fd[1], std::to_string(i));
  for (int i = 0; i < kPairs; ++i) EXPECT_EQ(readers[i].get(), std::to_string(i));
}

// Sends larger than the socket buffer complete in parts while the reader drains slowly.
TEST(SocketIo, LargeSendsCompleteInParts) {
  SocketPair sp;
  std::string payload(4 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  auto writer = spawn([&] {
    std::size_t sent = 0;
    while (sent < payload.size()) {
      std::error_code ec;
      ssize_t n =
          io::send(sp.fd[1], payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL, kForever, ec);
      if (n <= 0) throw std::system_error(ec, "send");
      sent += static_cast<std::size_t>(n);
    }
    return sent;
  });
  std::string got;
  while (got.size() < payload.size()) {
    std::string chunk(65536, '\0');
    std::error_code ec;
    ssize_t n = io::recv(sp.fd[0], chunk.data(), chunk.size(), 0, kForever, ec);
    ASSERT_GT(n, 0) << ec.message();
    got.append(chunk.data(), static_cast<std::size_t>(n));
  }
  EXPECT_EQ(writer.get(), payload.size());
  EXPECT_TRUE(got == payload);
}

TEST(SocketIo, SendmsgGathersVectors) {
  SocketPair sp;
  char a[] = "gathered ", b[] = "in one call";
  iovec vectors[] = {{a, sizeof a - 1}, {b, sizeof b - 1}};
  msghdr message{};
  message.msg_iov = vectors;
  message.msg_iovlen = 2;
  std::error_code ec;
  EXPECT_EQ(io::sendmsg(sp.fd[1], &message, MSG_NOSIGNAL, kForever, ec), 20);
  EXPECT_EQ(recv_some(sp.fd[0]), "gathered in one call");
}

TEST(SocketIo, SendToAPeerThatWentAwayFails) {
  SocketPair sp;
  close_fd(sp.fd[0]);
  sp.fd[0] = -1;
  std::error_code ec;
  EXPECT_EQ(io::send(sp.fd[1], "x", 1, MSG_NOSIGNAL, kForever, ec), -1);
  EXPECT_EQ(ec, std::errc::broken_pipe);
}

TEST(SocketIo, ConnectAndAcceptOverLoopback) {
  Listener listener;
  sockaddr_in to = listener.address();
  int client = tcp_socket();
  auto connecting = spawn([&] {
    std::error_code ec;
    io::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to, 5s, ec);
    return ec;
  });
  sockaddr_in peer{};
  socklen_t peer_size = sizeof peer;
  std::error_code ec;
  int server = io::accept(listener.fd, reinterpret_cast<sockaddr*>(&peer), &peer_size,
                          SOCK_NONBLOCK | SOCK_CLOEXEC, 5s, ec);
  ASSERT_GE(server, 0) << ec.message();
  adopt_fd(server);
  EXPECT_EQ(connecting.get(), std::error_code());
  EXPECT_EQ(peer_size, sizeof peer);
  EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  send_text(client, "over tcp");
  EXPECT_EQ(recv_some(server), "over tcp");
  close_fd(server);
  close_fd(client);
}

TEST(SocketIo, ConnectToAClosedPortIsRefused) {
  int probe;
  sockaddr_in to;
  {
    Listener gone;
    to = gone.address();
    probe = tcp_socket();
  }
  std::error_code ec;
  io::connect(probe, reinterpret_cast<sockaddr*>(&to), sizeof to, 5s, ec);
  EXPECT_EQ(ec, std::errc::connection_refused);
  close_fd(probe);
}

// An accept that timed out or was killed must not have taken a connection that arrives later.
TEST(SocketIo, AcceptTimeoutAndKillLoseNoConnection) {
  Listener listener;
  std::error_code ec;
  EXPECT_EQ(io::accept(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC, 1ms, ec), -1);
  EXPECT_EQ(ec, Errc::timed_out);
  auto acceptor = spawn([&] {
    std::error_code e;
    return io::accept(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC, kForever, e);
  });
  sleep(1ms);
  acceptor->kill();
  sockaddr_in to = listener.address();
  int client = tcp_socket();
  io::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to, 5s, ec);
  ASSERT_FALSE(ec) << ec.message();
  int server = io::accept(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC, 5s, ec);
  ASSERT_GE(server, 0) << ec.message();
  adopt_fd(server);
  close_fd(server);
  close_fd(client);
}

TEST(SocketIo, DatagramsCarryTheirAddresses) {
  auto udp = [] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    adopt_fd(fd);
    sockaddr_in a = loopback();
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return fd;
  };
  int a = udp(), b = udp();
  sockaddr_in b_address{}, a_address{};
  socklen_t n = sizeof b_address;
  ::getsockname(b, reinterpret_cast<sockaddr*>(&b_address), &n);
  n = sizeof a_address;
  ::getsockname(a, reinterpret_cast<sockaddr*>(&a_address), &n);
  auto receiver = spawn([&] {
    char buf[64];
    sockaddr_in from{};
    socklen_t from_size = sizeof from;
    std::error_code ec;
    ssize_t got = io::recvfrom(b, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_size, 5s, ec);
    EXPECT_EQ(from.sin_port, a_address.sin_port);
    return got < 0 ? ec.message() : std::string(buf, static_cast<std::size_t>(got));
  });
  sleep(1ms);
  std::error_code ec;
  EXPECT_EQ(io::sendto(a, "datagram", 8, 0, reinterpret_cast<sockaddr*>(&b_address), sizeof b_address,
                       kForever, ec),
            8);
  EXPECT_EQ(receiver.get(), "datagram");
  close_fd(a);
  close_fd(b);
}

TEST(SocketIo, AnInvalidDescriptorIsAClearError) {
  std::error_code ec;
  char c;
  EXPECT_EQ(io::recv(-1, &c, 1, 0, kForever, ec), -1);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

}  // namespace
}  // namespace fern
