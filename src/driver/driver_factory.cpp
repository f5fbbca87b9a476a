// make_driver: the one place that knows every Driver implementation.
#include <cstdlib>
#include <cstring>
#include <string>

#include "fern/base/error.hpp"
#include "fern/driver/epoll_driver.hpp"
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
    default: break;
  }
  throw_error(
      Errc::invalid_argument,
      ("fern: the " + std::string(to_string(kind)) + " driver is not available in this build").c_str());
}

}  // namespace fern
