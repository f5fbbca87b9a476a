#include "fern/selectors/poll_selector.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/select.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "socket_fixtures.hpp"

namespace fern::selectors {
namespace {

using namespace std::chrono_literals;
using testing::Fd;

TEST(PollSelector, ServesFdsAboveFdSetSize) {
  auto [a, b] = testing::socket_pair();
  Fd high(::fcntl(b.get(), F_DUPFD_CLOEXEC, 4 * FD_SETSIZE));
  PollSelector selector;
  selector.register_fd(high.get(), EVENT_READ);
  EXPECT_TRUE(selector.select(0s).empty());
  testing::write_all(a.get(), "x");
  auto ready = selector.select(10s);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, high.get());
}

TEST(PollSelector, RemovingFromTheMiddleKeepsTheOthersWatched) {
  std::vector<std::pair<Fd, Fd>> pairs;
  PollSelector selector;
  for (int i = 0; i < 8; ++i) {
    pairs.push_back(testing::socket_pair());
    selector.register_fd(pairs.back().second.get(), EVENT_READ, i);
  }
  // Removal moves the last slot into the hole; the moved fd must keep its events and its key.
  selector.unregister(pairs[0].second.get());
  selector.unregister(pairs[3].second.get());
  selector.modify(pairs[7].second.get(), EVENT_READ | EVENT_WRITE);
  for (auto& [writer, reader] : pairs) testing::write_all(writer.get(), "x");

  std::vector<int> seen;
  for (auto& [key, events] : selector.select(10s)) {
    const int index = std::any_cast<int>(key.data);
    EXPECT_EQ(key.fd, pairs[index].second.get());
    EXPECT_EQ(events, index == 7 ? (EVENT_READ | EVENT_WRITE) : EVENT_READ);
    seen.push_back(index);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 4, 5, 6, 7}));
}

TEST(PollSelector, ClosedFdIsReportedNotThrown) {
  // poll(2) flags a closed fd with POLLNVAL; like Python, the selector wakes its reader and writer.
  auto [a, b] = testing::socket_pair();
  PollSelector selector;
  const int fd = b.get();
  selector.register_fd(fd, EVENT_READ);
  b.reset();
  auto ready = selector.select(10s);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, fd);
  EXPECT_EQ(ready[0].second, EVENT_READ);
}

}  // namespace
}  // namespace fern::selectors
