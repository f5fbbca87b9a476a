#include "fern/sync/channel.hpp"

#include <exception>
#include <system_error>

#include "fern/hub/waiter.hpp"

namespace fern::detail {

void fail_parked_putter(Greenlet& g) noexcept {
  Waiter* w = Waiter::of(g);
  if (!w) return;
  w->fail(std::make_exception_ptr(std::system_error(
      make_error_code(Errc::closed), "fern: a Channel was destroyed while a greenlet waited on it")));
}

}  // namespace fern::detail
