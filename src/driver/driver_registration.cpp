// Registers this layer's drivers with the hub when the program starts. The hub never names a
// driver; CMake forces this file into every program that links fern::driver (the symbol below is
// marked undefined at link time), so its start-up code runs even though nothing calls it.
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
namespace {

template <class D>
std::unique_ptr<Driver> make() {
  return std::make_unique<D>();
}

#ifdef FERN_NO_URING
std::unique_ptr<Driver> refuse_uring() {
  throw_error(std::make_error_code(std::errc::function_not_supported),
              "fern: io_uring is not available: this build has no io_uring driver (FERN_WITH_URING=OFF); "
              "use FERN_DRIVER=epoll");
}
#endif

}  // namespace
}  // namespace fern

// Priority 101: before any ordinary static constructor, so a hub made during another library's
// static initialisation already finds its driver.
extern "C" [[gnu::constructor(101), gnu::used]] void fern_driver_registration() {
  using namespace fern;
  register_driver(DriverKind::epoll, &make<EpollDriver>);
#ifndef FERN_NO_URING
  register_driver(DriverKind::uring, &make<UringDriver>);  // throws when the kernel refuses io_uring
#else
  register_driver(DriverKind::uring, &refuse_uring);
#endif
  register_driver(DriverKind::poll, &make<PollDriver>);
  register_driver(DriverKind::select, &make<SelectDriver>);
}
