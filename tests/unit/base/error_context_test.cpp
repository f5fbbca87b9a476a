#include "fern/base/error_context.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "fern/base/error.hpp"

namespace fern {
namespace {

const std::error_code kRefused(ECONNREFUSED, std::system_category());

TEST(ErrorContext, WhatWithoutCodeDropsTheMessageSystemErrorAppended) {
  std::system_error e(kRefused, "fern: connect to 127.0.0.1:1");
  EXPECT_EQ(what_without_code(e), "fern: connect to 127.0.0.1:1");
}

TEST(ErrorContext, AnErrorWithoutArgumentHasNoTextOfItsOwn) {
  std::system_error e(kRefused);
  EXPECT_EQ(what_without_code(e), "");
}

TEST(ErrorContext, FernCodesToo) {
  std::system_error e(make_error_code(Errc::timed_out), "redis: no reply within 20ms");
  EXPECT_EQ(what_without_code(e), "redis: no reply within 20ms");
}

// The case that read "... (fern: connect to 127.0.0.1:1: Connection refused): Connection refused".
TEST(ErrorContext, WrappingNamesTheReasonOnce) {
  std::system_error inner(kRefused, "fern: connect to 127.0.0.1:1");
  std::system_error outer = with_context(inner, "redis 127.0.0.1:1: cannot connect");
  EXPECT_EQ(outer.code(), kRefused);
  EXPECT_EQ(std::string(outer.what()),
            "redis 127.0.0.1:1: cannot connect (fern: connect to 127.0.0.1:1): " + kRefused.message());
  // Wrapped twice, still once.
  std::system_error twice = with_context(outer, "amqp: cannot open the connection");
  const std::string what = twice.what();
  EXPECT_EQ(what.find(kRefused.message()), what.rfind(kRefused.message())) << what;
}

// The layer below named the same endpoint: said once; a detail it added is kept.
TEST(ErrorContext, WhatTheContextSaidAlreadyIsLeftOut) {
  std::system_error same(kRefused, "fern: connect to 127.0.0.1:6379");
  EXPECT_EQ(std::string(
                with_context(same, "redis 127.0.0.1:6379: cannot connect", "fern: connect to 127.0.0.1:6379")
                    .what()),
            "redis 127.0.0.1:6379: cannot connect: " + kRefused.message());
  std::system_error resolved(kRefused, "fern: connect to localhost:6379 (127.0.0.1:6379)");
  EXPECT_EQ(std::string(with_context(resolved, "redis localhost:6379: cannot connect",
                                     "fern: connect to localhost:6379")
                            .what()),
            "redis localhost:6379: cannot connect (127.0.0.1:6379): " + kRefused.message());
  std::system_error other(kRefused, "fern: resolving localhost");
  EXPECT_EQ(std::string(
                with_context(other, "redis localhost:6379: cannot connect", "fern: connect to localhost:6379")
                    .what()),
            "redis localhost:6379: cannot connect (fern: resolving localhost): " + kRefused.message());
}

TEST(ErrorContext, AnInnerErrorWithoutTextAddsNoParentheses) {
  std::system_error outer = with_context(std::system_error(kRefused), "redis 127.0.0.1:1: cannot connect");
  EXPECT_EQ(std::string(outer.what()), "redis 127.0.0.1:1: cannot connect: " + kRefused.message());
}

}  // namespace
}  // namespace fern
