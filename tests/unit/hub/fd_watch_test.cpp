#include "fern/hub/fd_watch.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {
namespace {

struct Pair {
  int fd[2];
  Pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
    adopt_fd(fd[0]);
    adopt_fd(fd[1]);
  }
  ~Pair() {
    close_fd(fd[0]);
    close_fd(fd[1]);
  }
};

std::size_t linked_waits() { return Hub::current().driver().waiting(); }

TEST(FdWatch, WakesItsWaiterWhenTheDescriptorIsReady) {
  Pair p;
  auto writer = spawn([&] { ASSERT_EQ(::write(p.fd[1], "x", 1), 1); });
  Waiter waiter;
  FdWatch watch;
  ASSERT_TRUE(watch.start(waiter, p.fd[0], io_events::readable));
  EXPECT_EQ(linked_waits(), 1u);
  EXPECT_TRUE(waiter.park());
  EXPECT_TRUE(watch.fired());
  EXPECT_FALSE(watch.result());
  writer->join();
}

// Woken some other way (as the Redis pump is by a caller's nudge): not fired, and unlinked when the
// watch goes out of scope.
TEST(FdWatch, AnotherWakeLeavesItUnfiredAndTheScopeUnlinksIt) {
  Pair p;
  {
    Waiter waiter;
    FdWatch watch;
    ASSERT_TRUE(watch.start(waiter, p.fd[0], io_events::readable));
    auto nudger = spawn([&] { waiter.wake(); });
    EXPECT_TRUE(waiter.park());
    EXPECT_FALSE(watch.fired());
    nudger->join();
  }
  EXPECT_EQ(linked_waits(), 0u);
}

TEST(FdWatch, OneWaiterOnSeveralDescriptors) {
  Pair a, b;
  Waiter waiter;
  FdWatch on_a, on_b;
  ASSERT_TRUE(on_a.start(waiter, a.fd[0], io_events::readable));
  ASSERT_TRUE(on_b.start(waiter, b.fd[0], io_events::readable));
  auto writer = spawn([&] { ASSERT_EQ(::write(b.fd[1], "x", 1), 1); });
  EXPECT_TRUE(waiter.park());
  EXPECT_FALSE(on_a.fired());
  EXPECT_TRUE(on_b.fired());
  writer->join();
  on_a.stop();
  on_b.stop();
  EXPECT_EQ(linked_waits(), 0u);
}

TEST(FdWatch, ClosingTheDescriptorCompletesItWithClosed) {
  int fd[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0);
  adopt_fd(fd[0]);
  Waiter waiter;
  FdWatch watch;
  ASSERT_TRUE(watch.start(waiter, fd[0], io_events::readable));
  auto closer = spawn([&] { close_fd(fd[0]); });
  EXPECT_TRUE(waiter.park());
  EXPECT_TRUE(watch.fired());
  EXPECT_EQ(watch.result(), make_error_code(Errc::closed));
  closer->join();
  ::close(fd[1]);
}

}  // namespace
}  // namespace fern
