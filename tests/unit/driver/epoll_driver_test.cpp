#include "fern/driver/epoll_driver.hpp"

#include "driver_conformance.hpp"

namespace fern::driver_testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Epoll, DriverConformance, ::testing::Values(DriverKind::epoll), driver_name);

TEST(EpollDriver, MadeByTheFactory) { EXPECT_EQ(make_driver(DriverKind::epoll)->kind(), DriverKind::epoll); }

}  // namespace
}  // namespace fern::driver_testing
