#include "fern/driver/select_driver.hpp"

#include <sys/resource.h>

#include "driver_conformance.hpp"

namespace fern::driver_testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Select, DriverConformance, ::testing::Values(DriverKind::select), driver_name);

class SelectDriverTest : public DriverConformance {};
INSTANTIATE_TEST_SUITE_P(Select, SelectDriverTest, ::testing::Values(DriverKind::select), driver_name);

TEST(SelectDriver, MadeByTheFactory) {
  EXPECT_EQ(make_driver(DriverKind::select)->kind(), DriverKind::select);
}

TEST_P(SelectDriverTest, DescriptorAboveFdSetsizeIsAClearError) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur <= FD_SETSIZE + 10)
    GTEST_SKIP() << "RLIMIT_NOFILE too low to open fd " << FD_SETSIZE + 10;
  auto sp = socket_pair();
  int high = ::fcntl(sp->fd[0], F_DUPFD_CLOEXEC, FD_SETSIZE + 10);
  ASSERT_GE(high, FD_SETSIZE);
  adopt_fd(high);
  try {
    wait_readable(high, 1s);
    ADD_FAILURE() << "no error for fd " << high;
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::limit_exceeded);
    std::string what = e.what();
    EXPECT_NE(what.find("fd " + std::to_string(high)), std::string::npos) << what;
    EXPECT_NE(what.find("FD_SETSIZE (1024)"), std::string::npos) << what;
  }
  close_fd(high);
}

// select(2) fails as a whole (EBADF) when one descriptor in its sets is closed: the driver must fail
// that descriptor's waits and keep serving the others.
TEST_P(SelectDriverTest, DescriptorClosedBehindItsBackFailsOnlyItsWait) {
  auto doomed = socket_pair();
  auto healthy = socket_pair();
  auto lost = spawn([&] { return wait_result(doomed->fd[0], io_events::readable); });
  auto reader = spawn([&] { return read_some(healthy->fd[0]); });
  let_the_driver_poll();
  ::close(doomed->fd[0]);
  EXPECT_EQ(lost.get(), std::errc::bad_file_descriptor);
  adopt_fd(doomed->fd[0]);
  doomed->fd[0] = -1;
  write_all(healthy->fd[1], "still here");
  EXPECT_EQ(reader.get(), "still here");
}

}  // namespace
}  // namespace fern::driver_testing
