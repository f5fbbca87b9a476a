// to_thread: a value (or an exception) from the thread pool, computed off the hub's thread.
#include "fern/aio/to_thread.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "fern/aio/spawn.hpp"

namespace fern::aio {
namespace {

Task<std::string> thread_name() {
  std::thread::id hub_thread = std::this_thread::get_id();
  bool other_thread = co_await to_thread([hub_thread] { return std::this_thread::get_id() != hub_thread; });
  EXPECT_TRUE(other_thread);
  co_return co_await to_thread([] { return std::string("from the pool"); });
}

Task<int> thread_failure() {
  co_return co_await to_thread([]() -> int { throw std::runtime_error("pool job failed"); });
}

TEST(ToThread, ReturnsTheValueOrRethrows) {
  EXPECT_EQ(run(thread_name()), "from the pool");
  EXPECT_THROW(run(thread_failure()), std::runtime_error);
}

}  // namespace
}  // namespace fern::aio
