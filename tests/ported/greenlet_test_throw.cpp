// python-greenlet's test_throw.py against fern::Greenlet::throw_in. Left out: the argument-type
// checks of greenlet.throw(typ, val, tb) (test_non_traceback_param, test_instance_of_wrong_type,
// test_not_throwable): throw_in takes a C++ exception object, so those calls do not compile.
#include <gtest/gtest.h>

#include <any>
#include <stdexcept>
#include <string>

#include "fern/greenlet/greenlet.hpp"

namespace fern {
namespace {

std::any switch_up(std::any v = {}) { return Greenlet::current()->parent()->switch_to(std::move(v)); }

std::string text(const std::any& v) { return std::any_cast<std::string>(v); }

TEST(ThrowTests, test_class) {
  Greenlet g([] {
    try {
      switch_up(std::string("ok"));
    } catch (const std::runtime_error&) {
      switch_up(std::string("ok"));
      return;
    }
    switch_up(std::string("fail"));
  });
  EXPECT_EQ(text(g.switch_to()), "ok");
  EXPECT_EQ(text(g.throw_in(std::runtime_error(""))), "ok");
}

TEST(ThrowTests, test_val) {
  auto f = [] {
    try {
      switch_up(std::string("ok"));
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()) == "ciao") {
        switch_up(std::string("ok"));
        return;
      }
    }
    switch_up(std::string("fail"));
  };
  Greenlet g(f);
  EXPECT_EQ(text(g.switch_to()), "ok");
  EXPECT_EQ(text(g.throw_in(std::runtime_error("ciao"))), "ok");
  Greenlet h(f);
  EXPECT_EQ(text(h.switch_to()), "ok");
  EXPECT_EQ(text(h.throw_in(std::make_exception_ptr(std::runtime_error("ciao")))), "ok");
}

TEST(ThrowTests, test_kill) {
  Greenlet g([] {
    switch_up(std::string("ok"));
    switch_up(std::string("fail"));
  });
  EXPECT_EQ(text(g.switch_to()), "ok");
  // GreenletExit ends it quietly: the parent gets an empty value, not an exception.
  EXPECT_FALSE(g.throw_in(GreenletExit()).has_value());
  EXPECT_TRUE(g.dead());
  // Immediately eaten by the already-dead greenlet.
  EXPECT_FALSE(g.throw_in(GreenletExit()).has_value());
}

struct IndexError : std::out_of_range {
  IndexError() : std::out_of_range("IndexError") {}
};

TEST(ThrowTests, test_throw_goes_to_original_parent) {
  Greenlet* main = Greenlet::current();
  auto f1 = [main]() -> std::string {
    try {
      main->switch_to(std::string("f1 ready to catch"));
    } catch (const IndexError&) {
      return "caught";
    }
    return "normal exit";
  };
  auto f2 = [main] { main->switch_to(std::string("from f2")); };
  {
    Greenlet g1(f1);
    Greenlet g2(f2, &g1);
    // Neither started: g2 dies where it stands, g1 dies of the error without running, main gets it.
    EXPECT_THROW(g2.throw_in(IndexError()), IndexError);
    EXPECT_TRUE(g2.dead());
    EXPECT_TRUE(g1.dead());
  }
  {
    Greenlet g1(f1);
    Greenlet g2(f2, &g1);
    EXPECT_EQ(text(g1.switch_to()), "f1 ready to catch");
    EXPECT_EQ(text(g2.throw_in(IndexError())), "caught");
    EXPECT_TRUE(g2.dead());
    EXPECT_TRUE(g1.dead());
  }
  {
    Greenlet g1(f1);
    Greenlet g2(f2, &g1);
    EXPECT_EQ(text(g1.switch_to()), "f1 ready to catch");
    EXPECT_EQ(text(g2.switch_to()), "from f2");
    EXPECT_EQ(text(g2.throw_in(IndexError())), "caught");
    EXPECT_TRUE(g2.dead());
    EXPECT_TRUE(g1.dead());
  }
}

}  // namespace
}  // namespace fern
