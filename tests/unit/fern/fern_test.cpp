// The README's hub example, through the umbrella header.
#include "fern/fern.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace fern {
namespace {

TEST(Fern, ReadmeExampleRunsInOneThread) {
  std::vector<std::string> out;
  auto slow = spawn([&] {
    sleep(20ms);
    out.push_back("slow");
  });
  auto fast = spawn([&] {
    sleep(10ms);
    out.push_back("fast");
  });
  joinall({slow, fast});
  EXPECT_EQ(out, (std::vector<std::string>{"fast", "slow"}));
}

}  // namespace
}  // namespace fern
