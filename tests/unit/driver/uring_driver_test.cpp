#include "fern/driver/uring_driver.hpp"

#include "driver_conformance.hpp"

namespace fern::driver_testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Uring, DriverConformance, ::testing::Values(DriverKind::uring), driver_name);

class UringDriverTest : public DriverConformance {};
INSTANTIATE_TEST_SUITE_P(Uring, UringDriverTest, ::testing::Values(DriverKind::uring), driver_name);

TEST(UringDriver, RefusalIsAClearError) {
  // More submission entries than the kernel allows (32768): the same path a disabled io_uring
  // takes, and its message must say what failed and what to use instead.
  try {
    UringDriver driver(1u << 20);
    GTEST_SKIP() << "this kernel accepted a ring of 1M entries";
  } catch (const std::system_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("fern: io_uring is not available"), std::string::npos) << what;
    EXPECT_NE(what.find("FERN_DRIVER=epoll"), std::string::npos) << what;
  }
}

// More waits start in one turn than the submission ring holds (256): the ring is flushed as it
// fills, and every wait is still armed.
TEST_P(UringDriverTest, MoreWaitsThanSubmissionEntries) {
  std::vector<std::unique_ptr<FdPair>> pairs;
  std::vector<GreenletRef<std::error_code>> waits;
  for (int i = 0; i < 700; ++i) {
    pairs.push_back(socket_pair());
    int fd = pairs.back()->fd[0];
    waits.push_back(spawn([fd] { return wait_result(fd, io_events::readable); }));
  }
  let_the_driver_poll();
  for (auto& p : pairs) write_all(p->fd[1], "x");
  for (auto& w : waits) EXPECT_EQ(w.get(), std::error_code());
}

// A wait that times out cancels its poll, and the next wait on the fd arms a fresh one in the
// same batch: the cancelled poll's completion must not be taken for the new one's.
TEST_P(UringDriverTest, CancelAndRearmInOneTurn) {
  auto sp = socket_pair();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(wait_result(sp->fd[0], io_events::readable, 10us), Errc::timed_out);
  }
  auto reader = spawn([&] { return wait_result(sp->fd[0], io_events::readable); });
  sleep(1ms);
  EXPECT_FALSE(reader->ready());
  write_all(sp->fd[1], "y");
  EXPECT_EQ(reader.get(), std::error_code());
}

}  // namespace
}  // namespace fern::driver_testing
