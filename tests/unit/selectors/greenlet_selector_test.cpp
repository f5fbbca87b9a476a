#include "fern/selectors/greenlet_selector.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern::selectors {
namespace {

struct Pair {
  int fd[2];
  Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0); }
  ~Pair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};

TEST(GreenletSelector, SelectParksOnlyTheCallingGreenlet) {
  Pair p;
  GreenletSelector sel;
  sel.register_fd(p.fd[0], EVENT_READ, std::string("reader"));
  int ticks = 0;
  auto ticker = spawn([&] {
    for (;;) {
      ++ticks;
      sleep(1ms);
    }
  });
  auto writer = spawn([&] {
    sleep(20ms);
    EXPECT_EQ(::write(p.fd[1], "x", 1), 1);
  });
  auto ready = sel.select(std::nullopt);  // the main greenlet parks; the hub runs the others
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first.fd, p.fd[0]);
  EXPECT_EQ(std::any_cast<std::string>(ready[0].first.data), "reader");
  EXPECT_GT(ticks, 2);
  ticker->kill();
  writer->join();
}

TEST(GreenletSelector, TimeoutReturnsEmpty) {
  Pair p;
  GreenletSelector sel;
  sel.register_fd(p.fd[0], EVENT_READ);
  EXPECT_TRUE(sel.select(2ms).empty());
  EXPECT_TRUE(sel.select(Duration::zero()).empty());
}

TEST(GreenletSelector, ManyGreenletsEachWithItsOwnSelector) {
  constexpr int kCount = 50;
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<GreenletRef<int>> gs;
  for (int i = 0; i < kCount; ++i) {
    pairs.push_back(std::make_unique<Pair>());
    int fd = pairs.back()->fd[0];
    gs.push_back(spawn([fd] {
      GreenletSelector sel;
      sel.register_fd(fd, EVENT_READ);
      auto ready = sel.select(std::chrono::seconds(10));
      return static_cast<int>(ready.size());
    }));
  }
  sleep(1ms);
  for (auto& p : pairs) ASSERT_EQ(::write(p->fd[1], "y", 1), 1);
  for (auto& g : gs) EXPECT_EQ(g.get(), 1);
}

}  // namespace
}  // namespace fern::selectors
