#include "fern/selectors/epoll_selector.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/select.h>

#include <chrono>
#include <string>

#include "socket_fixtures.hpp"

namespace fern::selectors {
namespace {

using namespace std::chrono_literals;
using testing::Fd;

TEST(EpollSelector, RegularFilesAreRefusedByTheKernel) {
  char path[] = "/tmp/fern_epoll_selector_XXXXXX";
  Fd file(::mkstemp(path));
  ::unlink(path);
  EpollSelector selector;
  try {
    selector.register_fd(file.get(), EVENT_READ);
    FAIL() << "epoll accepted a regular file";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
    EXPECT_NE(std::string(e.what()).find("epoll_ctl"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(selector.get_map().empty());  // no key left behind
}

TEST(EpollSelector, FilenoIsReadableWhenAnFdIsReady) {
  // What a cooperative form waits on before harvesting.
  auto [a, b] = testing::socket_pair();
  EpollSelector selector;
  ASSERT_GE(selector.fileno(), 0);
  selector.register_fd(b.get(), EVENT_READ);
  pollfd p{selector.fileno(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  testing::write_all(a.get(), "x");
  EXPECT_EQ(::poll(&p, 1, 10'000), 1);
  EXPECT_EQ(selector.select(0s).size(), 1u);
}

TEST(EpollSelector, ServesFdsAboveFdSetSize) {
  auto [a, b] = testing::socket_pair();
  Fd high(::fcntl(b.get(), F_DUPFD_CLOEXEC, 4 * FD_SETSIZE));
  EpollSelector selector;
  selector.register_fd(high.get(), EVENT_READ | EVENT_WRITE);
  testing::write_all(a.get(), "x");
  auto ready = selector.select(10s);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, high.get());
  EXPECT_EQ(ready[0].second, EVENT_READ | EVENT_WRITE);
}

TEST(EpollSelector, CloseReleasesTheEpollFd) {
  EpollSelector selector;
  const int epoll_fd = selector.fileno();
  selector.close();
  EXPECT_EQ(selector.fileno(), -1);
  EXPECT_EQ(::fcntl(epoll_fd, F_GETFD), -1);  // closed (and not reused in between by this thread)
}

TEST(EpollSelector, ModifyOfAClosedFdReportsTheKernelError) {
  auto [a, b] = testing::socket_pair();
  EpollSelector selector;
  const int fd = b.get();
  selector.register_fd(fd, EVENT_READ);
  b.reset();  // the kernel drops the fd from the epoll set; the key survives until unregister
  EXPECT_THROW(selector.modify(fd, EVENT_WRITE), std::system_error);
  EXPECT_EQ(selector.get_key(fd).events, EVENT_READ);  // unchanged after the refusal
  EXPECT_EQ(selector.unregister(fd).fd, fd);           // and unregister still succeeds
}

}  // namespace
}  // namespace fern::selectors
