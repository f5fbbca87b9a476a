#include "fern/selectors/default_selector.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <type_traits>

#include "socket_fixtures.hpp"

namespace fern::selectors {
namespace {

using namespace std::chrono_literals;

static_assert(std::is_same_v<DefaultSelector, EpollSelector>,
              "Linux gets epoll, as Python's DefaultSelector");

TEST(DefaultSelector, FactoryBuildsEpoll) {
  auto selector = make_default_selector();
  EXPECT_STREQ(selector->name(), "EpollSelector");
  EXPECT_NE(dynamic_cast<EpollSelector*>(selector.get()), nullptr);
}

TEST(DefaultSelector, MakeSelectorByName) {
  EXPECT_STREQ(make_selector("epoll")->name(), "EpollSelector");
  EXPECT_STREQ(make_selector("poll")->name(), "PollSelector");
  EXPECT_STREQ(make_selector("select")->name(), "SelectSelector");
  EXPECT_STREQ(make_selector("default")->name(), "EpollSelector");
  try {
    make_selector("kqueue");
    FAIL() << "unknown selector accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("kqueue"), std::string::npos);
  }
}

TEST(DefaultSelector, EachKindWorksThroughTheBaseInterface) {
  for (const char* kind : {"epoll", "poll", "select"}) {
    SCOPED_TRACE(kind);
    auto selector = make_selector(kind);
    auto [a, b] = testing::socket_pair();
    selector->register_fd(b.get(), EVENT_READ, std::string(kind));
    testing::write_all(a.get(), "x");
    auto ready = selector->select(10s);
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(std::any_cast<std::string>(ready[0].first.data), kind);
  }
}

}  // namespace
}  // namespace fern::selectors
