// A task that yields `v` after sleeping `d`, for the aio tests that need tasks finishing in a known
// order.
#pragma once

#include "fern/aio/sleep.hpp"
#include "fern/aio/task.hpp"
#include "fern/base/clock.hpp"

namespace fern::aio::test {

inline Task<int> after(int v, Duration d) {
  co_await sleep(d);
  co_return v;
}

}  // namespace fern::aio::test
