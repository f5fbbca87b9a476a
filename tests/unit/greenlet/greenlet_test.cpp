#include "fern/greenlet/greenlet.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Re-executing the binary is the safe default; an emulated cross build forks (tests/CMakeLists.txt).
#ifndef FERN_DEATH_TEST_STYLE
#define FERN_DEATH_TEST_STYLE "threadsafe"
#endif

namespace fern {
namespace {

class GreenletModes : public ::testing::TestWithParam<StackMode> {
 protected:
  GreenletOptions opts() const { return {context::kDefaultStackSize, GetParam()}; }
};

// L1: greenlet's manual switch; the seed prints 12, 56, 34, 78.
TEST_P(GreenletModes, SeedLessonL1SwitchOrder) {
  std::vector<int> out;
  std::unique_ptr<Greenlet> gr1, gr2;
  gr1 = std::make_unique<Greenlet>(
      [&] {
        out.push_back(12);
        gr2->switch_to();
        out.push_back(34);
        gr2->switch_to();
      },
      nullptr, opts());
  gr2 = std::make_unique<Greenlet>(
      [&] {
        out.push_back(56);
        gr1->switch_to();
        out.push_back(78);
      },
      nullptr, opts());
  gr1->switch_to();
  EXPECT_EQ(out, (std::vector<int>{12, 56, 34, 78}));
  EXPECT_FALSE(gr1->dead());  // gr1 is parked in its second switch; gr2 finished back to main
  EXPECT_TRUE(gr2->dead());
}

TEST_P(GreenletModes, ValuesTravelBothWays) {
  Greenlet g(
      [](std::any first) {
        int x = std::any_cast<int>(first);
        std::any back = Greenlet::current()->parent()->switch_to(x * 2);
        return std::any_cast<std::string>(back) + "!";
      },
      nullptr, opts());
  EXPECT_FALSE(g.started());
  std::any r = g.switch_to(21);
  EXPECT_TRUE(g.active());
  EXPECT_EQ(std::any_cast<int>(r), 42);
  std::any done = g.switch_to(std::string("bye"));
  EXPECT_TRUE(g.dead());
  EXPECT_EQ(std::any_cast<std::string>(done), "bye!");
}

TEST_P(GreenletModes, ExceptionPropagatesToParent) {
  Greenlet g([] { throw std::runtime_error("boom"); }, nullptr, opts());
  EXPECT_THROW(
      {
        try {
          g.switch_to();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "boom");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_TRUE(g.dead());
}

TEST_P(GreenletModes, GreenletExitEndsQuietly) {
  bool after = false;
  Greenlet g(
      [&] {
        throw GreenletExit();
        after = true;
      },
      nullptr, opts());
  std::any r = g.switch_to();
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(after);
  EXPECT_TRUE(g.dead());
}

TEST_P(GreenletModes, ThrowInRaisesAtSuspensionPoint) {
  std::string seen;
  Greenlet g(
      [&] {
        try {
          Greenlet::current()->parent()->switch_to();
        } catch (const std::logic_error& e) {
          seen = e.what();
          return 7;
        }
        return 0;
      },
      nullptr, opts());
  g.switch_to();
  std::any r = g.throw_in(std::logic_error("thrown in"));
  EXPECT_EQ(seen, "thrown in");
  EXPECT_EQ(std::any_cast<int>(r), 7);
}

TEST_P(GreenletModes, ThrowInBeforeStartNeverRuns) {
  bool ran = false;
  Greenlet quiet([&] { ran = true; }, nullptr, opts());
  EXPECT_FALSE(quiet.throw_in(GreenletExit()).has_value());
  EXPECT_TRUE(quiet.dead());
  Greenlet loud([&] { ran = true; }, nullptr, opts());
  EXPECT_THROW(loud.throw_in(std::runtime_error("x")), std::runtime_error);
  EXPECT_FALSE(ran);
}

TEST_P(GreenletModes, FinishedChildReturnsToParentNotCaller) {
  std::vector<std::string> order;
  Greenlet* main = Greenlet::current();
  Greenlet parent(
      [&] {
        order.push_back("parent start");
        std::any v = main->switch_to();  // park; the child returns here when it ends
        order.push_back("parent got " + std::any_cast<std::string>(v));
      },
      nullptr, opts());
  parent.switch_to();
  Greenlet child([&] { return std::string("child result"); }, &parent, opts());
  child.switch_to();  // runs the child from main; it finishes into `parent`, which ends into main
  EXPECT_EQ(order, (std::vector<std::string>{"parent start", "parent got child result"}));
  EXPECT_TRUE(parent.dead());
}

TEST_P(GreenletModes, DeadParentSkippedToNearestLiveAncestor) {
  Greenlet a([] { return 1; }, nullptr, opts());
  a.switch_to();
  ASSERT_TRUE(a.dead());
  Greenlet b([] { return 2; }, &a, opts());
  EXPECT_EQ(std::any_cast<int>(b.switch_to()), 2);  // a is dead, so main receives it
}

TEST_P(GreenletModes, SetParentRejectsCycles) {
  Greenlet a([] {}, nullptr, opts());
  Greenlet b([] {}, &a, opts());
  EXPECT_THROW(a.set_parent(&b), std::invalid_argument);
  EXPECT_THROW(a.set_parent(&a), std::invalid_argument);
  EXPECT_NO_THROW(b.set_parent(Greenlet::current()));
}

TEST_P(GreenletModes, DestroyingSuspendedGreenletUnwindsIt) {
  bool unwound = false;
  struct Flag {
    bool* f;
    ~Flag() { *f = true; }
  };
  {
    Greenlet g(
        [&] {
          Flag flag{&unwound};
          Greenlet::current()->parent()->switch_to();
        },
        nullptr, opts());
    g.switch_to();
    EXPECT_FALSE(unwound);
  }
  EXPECT_TRUE(unwound);
}

// A greenlet that parks inside a catch block must find its exception when it resumes, even if
// others threw and caught meanwhile.
TEST_P(GreenletModes, CaughtExceptionSurvivesSwitches) {
  Greenlet* main = Greenlet::current();
  std::string rethrown;
  Greenlet g(
      [&] {
        try {
          throw std::runtime_error("mine");
        } catch (...) {
          main->switch_to();
          try {
            throw;
          } catch (const std::runtime_error& e) {
            rethrown = e.what();
          }
        }
      },
      nullptr, opts());
  g.switch_to();
  EXPECT_EQ(std::uncaught_exceptions(), 0);
  try {
    throw std::logic_error("other");
  } catch (const std::logic_error&) {
  }
  g.switch_to();
  EXPECT_EQ(rethrown, "mine");
}

TEST_P(GreenletModes, HundredThousandCreatedAndFinished) {
  long sum = 0;
  for (int i = 0; i < 100000; ++i) {
    Greenlet g([i] { return i; }, nullptr, opts());
    sum += std::any_cast<int>(g.switch_to());
  }
  EXPECT_EQ(sum, 100000L * 99999 / 2);
}

TEST_P(GreenletModes, DeepStackContentSurvivesParking) {
  // Each greenlet fills a frame with its own pattern, parks, and checks it after others ran.
  constexpr int kCount = 64;
  std::vector<std::unique_ptr<Greenlet>> gs;
  int intact = 0;
  Greenlet* main = Greenlet::current();
  for (int i = 0; i < kCount; ++i) {
    gs.push_back(std::make_unique<Greenlet>(
        [&, i] {
          volatile unsigned char buf[3000];
          for (unsigned j = 0; j < sizeof buf; ++j) buf[j] = static_cast<unsigned char>(i + j);
          main->switch_to();
          bool ok = true;
          for (unsigned j = 0; j < sizeof buf; ++j) ok &= buf[j] == static_cast<unsigned char>(i + j);
          intact += ok;
        },
        nullptr, opts()));
  }
  for (auto& g : gs) g->switch_to();
  for (auto& g : gs) g->switch_to();
  EXPECT_EQ(intact, kCount);
}

TEST_P(GreenletModes, DirectSwitchBetweenTwo) {
  // Two greenlets that switch straight to each other (no hub in between), many times.
  std::unique_ptr<Greenlet> a, b;
  long ticks = 0;
  a = std::make_unique<Greenlet>(
      [&] {
        for (int i = 0; i < 1000; ++i) {
          ++ticks;
          b->switch_to();
        }
      },
      nullptr, opts());
  b = std::make_unique<Greenlet>(
      [&] {
        for (;;) {
          ++ticks;
          a->switch_to();
        }
      },
      nullptr, opts());
  a->switch_to();
  EXPECT_EQ(ticks, 2000);
  EXPECT_TRUE(a->dead());
}

TEST_P(GreenletModes, GreenletsAreBoundToTheirThread) {
  Greenlet g([] {}, nullptr, opts());
  std::string error;
  std::thread t([&] {
    try {
      g.switch_to();
    } catch (const std::logic_error& e) {
      error = e.what();
    }
  });
  t.join();
  EXPECT_NE(error.find("another thread"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stacks, GreenletModes, ::testing::Values(StackMode::guarded, StackMode::dense),
                         [](const auto& info) {
                           return info.param == StackMode::guarded ? "guarded" : "dense";
                         });

TEST(GreenletDense, ManyParkedAtOnce) {
  constexpr int kCount = 100000;
  std::vector<std::unique_ptr<Greenlet>> gs;
  gs.reserve(kCount);
  Greenlet* main = Greenlet::current();
  long finished = 0;
  for (int i = 0; i < kCount; ++i) {
    gs.push_back(std::make_unique<Greenlet>(
        [&, i] {
          int mine = i;
          main->switch_to();
          finished += mine == i;
        },
        nullptr, GreenletOptions{context::kDefaultStackSize, StackMode::dense}));
    gs.back()->switch_to();
  }
  for (auto& g : gs) g->switch_to();
  EXPECT_EQ(finished, kCount);
}

// Recurses until the stack runs out; the counter keeps the compiler from proving it endless.
int recurse_deep(int depth, int limit) {
  volatile char pad[512];
  pad[0] = static_cast<char>(depth);
  if (depth >= limit) return pad[0];
  return recurse_deep(depth + 1, limit) + pad[0];
}

// A subclass overriding run() unwinds in its own destructor, while the members run() uses exist.
class Recorder : public Greenlet {
 public:
  explicit Recorder(std::string* out) : Greenlet(nullptr, Greenlet::defaults()), out_(out) {}
  ~Recorder() override { unwind(); }

 protected:
  std::any run(std::any) override {
    try {
      parent()->switch_to();
    } catch (const GreenletExit&) {
      *out_ = member_;  // read while unwinding: must still be alive
      throw;
    }
    return {};
  }

 private:
  std::string* out_;
  std::string member_ = "member still alive";
};

TEST(GreenletSubclass, UnwindInTheSubclassDestructorSeesItsMembers) {
  std::string seen;
  {
    Recorder r(&seen);
    r.switch_to();
    EXPECT_TRUE(r.active());
  }
  EXPECT_EQ(seen, "member still alive");
}

class Forgetful : public Greenlet {
 public:
  Forgetful() : Greenlet(nullptr, Greenlet::defaults()) { set_name("forgetful"); }

 protected:
  std::any run(std::any) override { return parent()->switch_to(); }
};

TEST(GreenletDeathTest, SubclassWithoutUnwindIsRefused) {
  GTEST_FLAG_SET(death_test_style, FERN_DEATH_TEST_STYLE);
  EXPECT_DEATH(
      {
        Forgetful f;
        f.switch_to();
      },
      "'forgetful' overrides run\\(\\) and was destroyed while suspended without unwind\\(\\)");
}

TEST(GreenletDeathTest, StackOverflowNamesTheGreenlet) {
  GTEST_FLAG_SET(death_test_style, FERN_DEATH_TEST_STYLE);
  EXPECT_DEATH(
      {
        Greenlet g([] { recurse_deep(0, 1 << 30); }, nullptr, GreenletOptions{64 * 1024, StackMode::guarded});
        g.set_name("deep-diver");
        g.switch_to();
      },
      "stack.overflow");
}

}  // namespace
}  // namespace fern

namespace fern {
namespace {

TEST(GreenletDeathTest, DenseOverflowIsCaughtByTheCanary) {
  GTEST_FLAG_SET(death_test_style, FERN_DEATH_TEST_STYLE);
  EXPECT_DEATH(
      {
        Greenlet g(
            [] {
              // Scribble over the bottom of this greenlet's own dense stack, as a runaway
              // recursion would, then switch out.
              auto* bottom = reinterpret_cast<volatile char*>(Greenlet::current()->stack().base);
              bottom[-8] = 0x5a;  // just below the stack: the canary
              Greenlet::current()->parent()->switch_to();
            },
            nullptr, GreenletOptions{context::kDefaultStackSize, StackMode::dense});
        g.set_name("scribbler");
        g.switch_to();
      },
      "stack overflow in greenlet 'scribbler'");
}

// An overflow that writes zeros (a zeroed local array run past the stack's end) is caught too.
TEST(GreenletDeathTest, AZeroFillingDenseOverflowIsCaughtByTheCanary) {
  GTEST_FLAG_SET(death_test_style, FERN_DEATH_TEST_STYLE);
  EXPECT_DEATH(
      {
        Greenlet g(
            [] {
              auto* bottom = reinterpret_cast<volatile char*>(Greenlet::current()->stack().base);
              for (int i = 1; i <= 64; ++i) bottom[-i] = 0;
              Greenlet::current()->parent()->switch_to();
            },
            nullptr, GreenletOptions{context::kDefaultStackSize, StackMode::dense});
        g.set_name("zeroer");
        g.switch_to();
      },
      "stack overflow in greenlet 'zeroer'");
}

}  // namespace
}  // namespace fern

namespace fern {
namespace {

bool lies_in_own_slot(const Greenlet& g) {
  const auto* object = reinterpret_cast<const char*>(&g);
  return g.stack().dense && object >= g.stack().top() &&
         object + sizeof(Greenlet) <= g.stack().base + context::kDenseStackSize;
}

TEST(GreenletOwnSlot, MakeDensePlacesTheObjectAtTheTopOfItsStack) {
  Greenlet::Ptr g = Greenlet::make_dense([](std::any v) { return std::any_cast<int>(v) + 1; });
  EXPECT_EQ(g->stack_mode(), StackMode::dense);
  EXPECT_TRUE(lies_in_own_slot(*g));
  EXPECT_EQ(std::any_cast<int>(g->switch_to(41)), 42);
  EXPECT_TRUE(g->dead());
  // The dead greenlet's object, and so its stack, stay valid until the object goes.
  EXPECT_TRUE(lies_in_own_slot(*g));
  g->set_name("still here");
  EXPECT_EQ(g->name(), "still here");
}

TEST(GreenletOwnSlot, StackIsReusedOnlyAfterTheObjectIsDestroyed) {
  Greenlet::Ptr first = Greenlet::make_dense([] {});
  first->switch_to();
  ASSERT_TRUE(first->dead());
  char* first_base = first->stack().base;
  // While the dead object lives, a new greenlet must not be handed its stack.
  Greenlet::Ptr second = Greenlet::make_dense([] {});
  EXPECT_NE(second->stack().base, first_base);
  first.reset();
  Greenlet::Ptr third = Greenlet::make_dense([] {});
  EXPECT_EQ(third->stack().base, first_base);  // the pool hands out the last freed stack first
}

TEST(GreenletOwnSlot, ValuesErrorsAndParkingWork) {
  Greenlet* main = Greenlet::current();
  Greenlet::Ptr g = Greenlet::make_dense([main] {
    std::any got = main->switch_to(std::string("parked"));
    try {
      main->switch_to(std::any_cast<int>(got) * 2);
    } catch (const std::runtime_error& e) {
      throw std::logic_error(std::string("saw ") + e.what());
    }
  });
  EXPECT_EQ(std::any_cast<std::string>(g->switch_to()), "parked");
  EXPECT_EQ(std::any_cast<int>(g->switch_to(21)), 42);
  try {
    g->throw_in(std::runtime_error("boom"));
    FAIL() << "the error should have come back to main";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "saw boom");
  }
  EXPECT_TRUE(g->dead());
}

TEST(GreenletOwnSlot, DestroyingAParkedOneUnwindsIt) {
  bool unwound = false;
  struct Flag {
    bool* set;
    ~Flag() { *set = true; }
  };
  Greenlet* main = Greenlet::current();
  Greenlet::Ptr g = Greenlet::make_dense([main, &unwound] {
    Flag f{&unwound};
    main->switch_to();
  });
  g->switch_to();
  EXPECT_FALSE(unwound);
  g.reset();
  EXPECT_TRUE(unwound);
}

TEST(GreenletOwnSlot, ThousandsParkedAtOnce) {
  Greenlet* main = Greenlet::current();
  std::vector<Greenlet::Ptr> parked;
  int finished = 0;
  for (int i = 0; i < 5000; ++i) {
    parked.push_back(Greenlet::make_dense([main, &finished, i] {
      int seen = std::any_cast<int>(main->switch_to());
      if (seen == i) ++finished;
    }));
    parked.back()->switch_to();
  }
  for (int i = 0; i < 5000; ++i) parked[static_cast<std::size_t>(i)]->switch_to(i);
  EXPECT_EQ(finished, 5000);
}

TEST(GreenletDeathTest, OwnSlotOverflowIsCaughtByTheCanary) {
  GTEST_FLAG_SET(death_test_style, FERN_DEATH_TEST_STYLE);
  EXPECT_DEATH(
      {
        Greenlet::Ptr g = Greenlet::make_dense([] {
          auto* bottom = reinterpret_cast<volatile char*>(Greenlet::current()->stack().base);
          bottom[-8] = 0x5a;  // just below the stack: the canary
          Greenlet::current()->parent()->switch_to();
        });
        g->set_name("slot-scribbler");
        g->switch_to();
      },
      "stack overflow in greenlet 'slot-scribbler'");
}

}  // namespace
}  // namespace fern
