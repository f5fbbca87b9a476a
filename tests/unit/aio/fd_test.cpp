#include "fern/aio/fd.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "fern/aio/gather.hpp"
#include "fern/aio/sleep.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "socket_pair.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

// An echo server task for one connection and a client task, both on the same hub.
Task<void> echo_one(int listen_fd) {
  int fd = co_await sock_accept(listen_fd);
  char buf[4096];
  for (;;) {
    std::size_t n = co_await sock_recv(fd, buf, sizeof buf);
    if (n == 0) break;
    co_await sock_sendall(fd, buf, n);
  }
  close_fd(fd);
}

Task<std::string> client(const test::Listener& l, std::string message) {
  int fd = test::tcp_socket();
  co_await aio::sock_connect(fd, l.addr(), sizeof l.address);
  co_await sock_sendall(fd, message.data(), message.size());
  ::shutdown(fd, SHUT_WR);
  std::string got;
  char buf[1024];
  for (;;) {
    std::size_t n = co_await sock_recv(fd, buf, sizeof buf);
    if (n == 0) break;
    got.append(buf, n);
  }
  close_fd(fd);
  co_return got;
}

TEST(AioFd, EchoOverRealTcp) {
  test::Listener l;
  std::string big(200000, 'x');  // more than the socket buffers hold: both sides must suspend
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  auto [server, got] = run(gather(echo_one(l.fd), client(l, big)));
  (void)server;
  EXPECT_EQ(got, big);
}

Task<std::error_code> wait_readable_for(int fd, Duration d) {
  co_return co_await wait_fd(fd, io_events::readable, d);
}

TEST(AioFd, ReadinessWaitTimesOut) {
  test::Listener l;
  EXPECT_EQ(run(wait_readable_for(l.fd, 2ms)), make_error_code(Errc::timed_out));
}

Task<void> accept_throwing(int fd) { (void)co_await sock_accept(fd, 2ms); }

TEST(AioFd, AcceptThrowsTimedOut) {
  test::Listener l;
  try {
    run(accept_throwing(l.fd));
    FAIL() << "accept returned";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::timed_out));
  }
}

Task<std::error_code> wait_for_data(int fd) { co_return co_await wait_fd(fd, io_events::readable); }

TEST(AioFd, ClosingTheFdWakesTheWaitingTaskWithClosed) {
  test::Listener l;
  int fd = test::tcp_socket();
  spawn(aio::sock_connect(fd, l.addr(), sizeof l.address)).get();
  auto waiter = spawn(wait_for_data(fd));  // the server never writes
  fern::sleep(1ms);
  EXPECT_FALSE(waiter.done());
  close_fd(fd);
  EXPECT_EQ(waiter.get(), make_error_code(Errc::closed));
}

Task<void> cancelled_reader(int fd) {
  char c;
  (void)co_await sock_recv(fd, &c, 1);
}

TEST(AioFd, CancellingASuspendedRecvUnregistersIt) {
  test::Listener l;
  int fd = test::tcp_socket();
  auto connecting = spawn(aio::sock_connect(fd, l.addr(), sizeof l.address));
  connecting.get();
  auto reader = spawn(cancelled_reader(fd));
  fern::sleep(1ms);
  reader.cancel();
  EXPECT_THROW(reader.get(), CancelledError);
  close_fd(fd);
}

}  // namespace
}  // namespace fern::aio
