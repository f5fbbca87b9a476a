#include "fern/driver/poll_driver.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "driver_conformance.hpp"

namespace fern::driver_testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Poll, DriverConformance, ::testing::Values(DriverKind::poll), driver_name);

class PollDriverTest : public DriverConformance {};
INSTANTIATE_TEST_SUITE_P(Poll, PollDriverTest, ::testing::Values(DriverKind::poll), driver_name);

TEST(PollDriver, MadeByTheFactory) { EXPECT_EQ(make_driver(DriverKind::poll)->kind(), DriverKind::poll); }

// A descriptor closed with plain close() while a greenlet waits on it: poll(2) reports POLLNVAL,
// and the wait must end with EBADF rather than spin or hang.
TEST_P(PollDriverTest, DescriptorClosedBehindItsBackFailsTheWait) {
  auto sp = socket_pair();
  auto waiter = spawn([&] { return wait_result(sp->fd[0], io_events::readable); });
  let_the_driver_poll();
  ::close(sp->fd[0]);
  EXPECT_EQ(waiter.get(), std::errc::bad_file_descriptor);
  adopt_fd(sp->fd[0]);
  sp->fd[0] = -1;
}

// Waits come and go across many slots (the pollfd array keeps holes and compacts them); the
// descriptors still waited on must keep their slots' meaning throughout.
TEST_P(PollDriverTest, SlotsSurviveChurnAndCompaction) {
  std::vector<std::unique_ptr<FdPair>> pairs;
  for (int i = 0; i < 300; ++i) pairs.push_back(socket_pair());
  std::vector<GreenletRef<std::string>> keepers;
  for (int i = 0; i < 300; i += 50) {
    int fd = pairs[i]->fd[0];
    keepers.push_back(spawn([fd] { return read_some(fd); }));
  }
  for (int round = 0; round < 5; ++round) {
    std::vector<GreenletRef<std::error_code>> brief;
    for (int i = 0; i < 300; ++i) {
      if (i % 50 == 0) continue;
      int fd = pairs[i]->fd[0];
      brief.push_back(spawn([fd] { return wait_result(fd, io_events::readable, 1ms); }));
    }
    for (auto& b : brief) EXPECT_EQ(b.get(), Errc::timed_out);
  }
  EXPECT_EQ(hub_->driver().waiting(), keepers.size());
  for (int i = 0; i < 300; i += 50) write_all(pairs[i]->fd[1], std::to_string(i));
  for (std::size_t k = 0; k < keepers.size(); ++k) EXPECT_EQ(keepers[k].get(), std::to_string(k * 50));
}

// After a spike the hub has the driver drop what it holds per descriptor past the last one in use
// (Driver::release_unused_memory): the table's tail, the pollfd array's holes. The waits still
// parked keep their slots' meaning, and a number used again afterwards works as a new one.
TEST_P(PollDriverTest, ReleaseDropsTheUnusedTailAndParkedWaitsKeepTheirSlots) {
  const int high = high_descriptor_number();
  if (high < 0) GTEST_SKIP() << "RLIMIT_NOFILE below 1024";
  auto& driver = dynamic_cast<PollDriver&>(hub_->driver());
  // Many waits, most of them gone before the release, so the pollfd array has holes to squeeze.
  std::vector<std::unique_ptr<FdPair>> pairs;
  for (int i = 0; i < 200; ++i) pairs.push_back(socket_pair());
  std::vector<GreenletRef<std::string>> keepers;
  std::vector<GreenletRef<std::error_code>> brief;
  for (int i = 0; i < 200; ++i) {
    int fd = pairs[i]->fd[0];
    if (i % 40 == 0) {
      keepers.push_back(spawn([fd] { return read_some(fd); }));
    } else {
      brief.push_back(spawn([fd] { return wait_result(fd, io_events::readable, 1ms); }));
    }
  }
  auto top = socket_pair_at(high);
  ASSERT_EQ(top->fd[0], high);
  auto top_reader = spawn([&] { return read_some(top->fd[0]); });
  for (auto& b : brief) EXPECT_EQ(b.get(), Errc::timed_out);
  write_all(top->fd[1], "top");
  EXPECT_EQ(top_reader.get(), "top");
  EXPECT_GT(driver.fd_table_capacity(), static_cast<std::size_t>(high));
  top.reset();  // closed through the hub: nothing is left at the top of the table

  hub_->driver().release_unused_memory();
  EXPECT_LT(driver.fd_table_capacity(), static_cast<std::size_t>(high));
  EXPECT_EQ(hub_->driver().waiting(), keepers.size());
  for (int i = 0; i < 200; i += 40) write_all(pairs[i]->fd[1], std::to_string(i));
  for (std::size_t k = 0; k < keepers.size(); ++k) EXPECT_EQ(keepers[k].get(), std::to_string(k * 40));

  expect_a_new_descriptor_at_works(high);
}

}  // namespace
}  // namespace fern::driver_testing
