#include "fern/selectors/select_selector.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/select.h>

#include <chrono>
#include <string>
#include <vector>

#include "fern/base/error.hpp"
#include "socket_fixtures.hpp"

namespace fern::selectors {
namespace {

using namespace std::chrono_literals;
using testing::Fd;

// Duplicates `fd` onto the lowest free number at or above `at_least`.
Fd duplicate_at_or_above(int fd, int at_least) { return Fd(::fcntl(fd, F_DUPFD_CLOEXEC, at_least)); }

TEST(SelectSelector, RejectsFdsAtOrAboveFdSetSize) {
  auto [a, b] = testing::socket_pair();
  // dup() until the descriptor table reaches past FD_SETSIZE, as a busy server would.
  std::vector<Fd> dups;
  while (dups.empty() || dups.back().get() < FD_SETSIZE) dups.emplace_back(::dup(b.get()));
  const int high = dups.back().get();
  ASSERT_GE(high, FD_SETSIZE);

  SelectSelector selector;
  try {
    selector.register_fd(high, EVENT_READ);
    FAIL() << "fd " << high << " was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::limit_exceeded);
    EXPECT_NE(std::string(e.what()).find("FD_SETSIZE"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(high)), std::string::npos) << e.what();
  }
  EXPECT_TRUE(selector.get_map().empty());
  EXPECT_TRUE(selector.select(0s).empty());
}

TEST(SelectSelector, ServesTheHighestAllowedFd) {
  auto [a, b] = testing::socket_pair();
  Fd last = duplicate_at_or_above(b.get(), FD_SETSIZE - 1);
  if (last.get() != FD_SETSIZE - 1) GTEST_SKIP() << "fd " << FD_SETSIZE - 1 << " is taken";

  SelectSelector selector;
  selector.register_fd(last.get(), EVENT_READ);
  EXPECT_TRUE(selector.select(0s).empty());
  testing::write_all(a.get(), "x");
  auto ready = selector.select(10s);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, FD_SETSIZE - 1);
  EXPECT_EQ(ready[0].second, EVENT_READ);
}

TEST(SelectSelector, ClosedFdInTheSetIsAKernelError) {
  auto [a, b] = testing::socket_pair();
  SelectSelector selector;
  const int fd = b.get();
  selector.register_fd(fd, EVENT_READ);
  b.reset();  // closed without unregistering: select(2) refuses the set
  try {
    selector.select(0s);
    FAIL() << "select(2) accepted a closed fd";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor);
  }
  selector.unregister(fd);
  EXPECT_TRUE(selector.select(0s).empty());
}

}  // namespace
}  // namespace fern::selectors
