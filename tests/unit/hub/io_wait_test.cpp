#include "fern/hub/io_wait.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

struct SocketPair {
  int fd[2];
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
      throw_errno("socketpair");
    adopt_fd(fd[0]);
    adopt_fd(fd[1]);
  }
  ~SocketPair() {
    if (fd[0] >= 0) close_fd(fd[0]);
    if (fd[1] >= 0) close_fd(fd[1]);
  }
};

std::string read_some(int fd) {
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    if (errno != EAGAIN) throw_errno("read");
    wait_readable(fd);
  }
}

TEST(IoWait, ReaderParksUntilDataArrives) {
  SocketPair sp;
  auto reader = spawn(read_some, sp.fd[0]);
  sleep(1ms);
  EXPECT_FALSE(reader->ready());
  ASSERT_EQ(::write(sp.fd[1], "hello", 5), 5);
  EXPECT_EQ(reader.get(), "hello");
}

TEST(IoWait, ManyReadersOnManyFds) {
  constexpr int kPairs = 200;
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<GreenletRef<std::string>> readers;
  for (int i = 0; i < kPairs; ++i) {
    pairs.push_back(std::make_unique<SocketPair>());
    readers.push_back(spawn(read_some, pairs.back()->fd[0]));
  }
  sleep(0ms);
  for (int i = kPairs - 1; i >= 0; --i) {
    std::string msg = "m" + std::to_string(i);
    ASSERT_EQ(::write(pairs[i]->fd[1], msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
  }
  for (int i = 0; i < kPairs; ++i) EXPECT_EQ(readers[i].get(), "m" + std::to_string(i));
}

TEST(IoWait, TimeoutIsAnError) {
  SocketPair sp;
  try {
    wait_readable(sp.fd[0], 2ms);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::timed_out);
  }
}

TEST(IoWait, ClosingWakesWaitersWithAnError) {
  SocketPair sp;
  auto waiter = spawn([&] {
    try {
      wait_readable(sp.fd[0]);
    } catch (const std::system_error& e) {
      return e.code() == Errc::closed;
    }
    return false;
  });
  sleep(1ms);
  close_fd(sp.fd[0]);
  sp.fd[0] = -1;
  EXPECT_TRUE(waiter.get());
}

TEST(IoWait, WritableWhenBufferDrains) {
  SocketPair sp;
  int sndbuf = 4096;
  ::setsockopt(sp.fd[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  std::string chunk(65536, 'x');
  std::size_t written = 0;
  while (::write(sp.fd[1], chunk.data(), chunk.size()) > 0) written += chunk.size();
  ASSERT_EQ(errno, EAGAIN);
  auto writer = spawn([&] {
    wait_writable(sp.fd[1]);
    return true;
  });
  sleep(1ms);
  EXPECT_FALSE(writer->ready());
  char buf[65536];
  while (::read(sp.fd[0], buf, sizeof buf) > 0) {
  }
  EXPECT_TRUE(writer.get());
}

TEST(IoWait, EdgeSeenWithoutWaiterIsNotLost) {
  SocketPair sp;
  auto first = spawn(read_some, sp.fd[0]);
  sleep(0ms);
  ASSERT_EQ(::write(sp.fd[1], "a", 1), 1);
  EXPECT_EQ(first.get(), "a");
  // Data arrives while nobody waits; the next reader must still see it.
  ASSERT_EQ(::write(sp.fd[1], "b", 1), 1);
  sleep(1ms);
  EXPECT_EQ(spawn(read_some, sp.fd[0]).get(), "b");
}

}  // namespace
}  // namespace fern
