// Test helper for the AMQP method unit tests: encodes a method and decodes it back.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <system_error>
#include <variant>

#include "fern/clients/amqp/proto/methods.hpp"

namespace fern::amqp {

template <class M>
M round_trip(const M& m) {
  std::string bytes;
  encode_method(bytes, m);
  Method back;
  std::error_code ec;
  EXPECT_TRUE(decode_method(bytes, back, ec));
  return std::get<M>(back);
}

}  // namespace fern::amqp
