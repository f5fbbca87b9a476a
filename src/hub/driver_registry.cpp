// The drivers the program has: a maker per kind, filled in by the driver layer before main.
#include <array>
#include <atomic>
#include <cstdlib>
#include <string>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/driver.hpp"

namespace fern {
namespace {

constexpr std::array kAllKinds{DriverKind::epoll, DriverKind::uring, DriverKind::poll, DriverKind::select};

// Constant-initialised, so a registration from another library's start-up code never runs before
// this table exists; atomic, so a hub made on another thread sees a maker fully stored.
constinit std::array<std::atomic<DriverMaker>, kAllKinds.size()> g_makers{};

}  // namespace

std::string_view to_string(DriverKind kind) noexcept {
  switch (kind) {
    case DriverKind::epoll: return "epoll";
    case DriverKind::uring: return "uring";
    case DriverKind::poll: return "poll";
    case DriverKind::select: return "select";
  }
  return "unknown";
}

// A readiness driver performs no operations: fern::io asks performs_io() first and never gets here.
void Driver::submit(IoOp&) {
  throw_error(
      Errc::invalid_argument,
      ("fern: the " + std::string(to_string(kind())) + " driver does not perform I/O operations").c_str());
}

void Driver::cancel(IoOp&) noexcept {}

DriverKind default_driver_kind() {
  const char* env = std::getenv("FERN_DRIVER");
  if (!env || !*env) return DriverKind::epoll;
  for (DriverKind k : kAllKinds) {
    if (to_string(k) == env) return k;
  }
  throw_error(
      Errc::invalid_argument,
      ("fern: FERN_DRIVER='" + std::string(env) + "' is not one of epoll, uring, poll, select").c_str());
}

void register_driver(DriverKind kind, DriverMaker make) noexcept {
  g_makers[static_cast<std::size_t>(kind)].store(make, std::memory_order_release);
}

std::unique_ptr<Driver> make_driver(DriverKind kind) {
  auto index = static_cast<std::size_t>(kind);
  DriverMaker make = index < g_makers.size() ? g_makers[index].load(std::memory_order_acquire) : nullptr;
  if (!make) {
    throw_error(std::make_error_code(std::errc::function_not_supported),
                ("fern: no " + std::string(to_string(kind)) +
                 " driver is linked into this program: link fern::driver (fern::fern links it)")
                    .c_str());
  }
  return make();
}

}  // namespace fern
