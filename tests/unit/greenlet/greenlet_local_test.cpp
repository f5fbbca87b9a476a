#include "fern/greenlet/greenlet_local.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fern {
namespace {

TEST(GreenletLocal, EachGreenletHasItsOwn) {
  GreenletLocal<std::string> who;
  *who = "main";
  Greenlet* main = Greenlet::current();
  Greenlet a([&] {
    EXPECT_EQ(*who, "");
    *who = "a";
    main->switch_to();
    EXPECT_EQ(*who, "a");
  });
  a.switch_to();
  EXPECT_EQ(*who, "main");
  a.switch_to();
  EXPECT_TRUE(a.dead());
}

TEST(GreenletLocal, DestroyedWhenGreenletFinishes) {
  static int live = 0;
  struct Counted {
    Counted() { ++live; }
    ~Counted() { --live; }
  };
  GreenletLocal<Counted> local;
  Greenlet g([&] {
    local.get();
    EXPECT_EQ(live, 1);
  });
  g.switch_to();
  EXPECT_EQ(live, 0);
}

}  // namespace
}  // namespace fern
