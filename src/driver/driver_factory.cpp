// make_driver: the one place that knows every Driver implementation.
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/driver/epoll_driver.hpp"
#include "fern/driver/poll_driver.hpp"
#include "fern/driver/select_driver.hpp"
#ifndef FERN_NO_URING
#include "fern/driver/uring_driver.hpp"
#endif
#include "fern/hub/driver.hpp"

namespace fern {

std::string_view to_string(DriverKind kind) noexcept {
  switch (kind) {
    case DriverKind::epoll: return "epoll";
    case DriverKind::uring: return "uring";
    case DriverKind::poll: return "poll";
    case DriverKind::select: return "select";
  }
  return "unknown";
}

DriverKind default_driver_kind() {
  const char* env = std::getenv("FERN_DRIVER");
  if (!env || !*env) return DriverKind::epoll;
  for (DriverKind k : {DriverKind::epoll, DriverKind::uring, DriverKind::poll, DriverKind::select}) {
    if (to_string(k) == env) return k;
  }
  throw_error(
      Errc::invalid_argument,
      ("fern: FERN_DRIVER='" + std::string(env) + "' is not one of epoll, uring, poll, select").c_str());
}

std::unique_ptr<Driver> make_driver(DriverKind kind) {
  switch (kind) {
    case DriverKind::epoll: return std::make_unique<EpollDriver>();
#ifndef FERN_NO_URING
    case DriverKind::uring: return std::make_unique<UringDriver>();  // throws when io_uring is disabled
#else
    case DriverKind::uring:
      throw_error(std::make_error_code(std::errc::function_not_supported),
                  "fern: io_uring is not available: this build has no io_uring driver (FERN_WITH_URING=OFF); "
                  "use FERN_DRIVER=epoll");
#endif
    case DriverKind::poll: return std::make_unique<PollDriver>();
    case DriverKind::select: return std::make_unique<SelectDriver>();
  }
  throw_error(
      Errc::invalid_argument,
      ("fern: the " + std::string(to_string(kind)) + " driver is not available in this build").c_str());
}

}  // namespace fern
