#include "fern/driver/epoll_driver.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "driver_conformance.hpp"

namespace fern::driver_testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Epoll, DriverConformance, ::testing::Values(DriverKind::epoll), driver_name);

TEST(EpollDriver, MadeByTheFactory) { EXPECT_EQ(make_driver(DriverKind::epoll)->kind(), DriverKind::epoll); }

// A descriptor closed with plain close() leaves the epoll set silently; the driver's audit finds it.
class EpollAudit : public DriverConformance {};
INSTANTIATE_TEST_SUITE_P(Epoll, EpollAudit, ::testing::Values(DriverKind::epoll), driver_name);

TEST_P(EpollAudit, AWaitOnADescriptorClosedBehindTheHubFailsClearly) {
  auto sp = socket_pair();
  int number = sp->fd[0];
  auto reader = spawn([&] { return wait_result(number, io_events::readable, 60s); });
  let_the_driver_poll();
  ::close(std::exchange(sp->fd[0], -1));  // the mistake: not fern::close_fd
  std::error_code ec = reader.get();
  EXPECT_EQ(ec, Errc::closed_behind_hub) << ec.message();
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_P(EpollAudit, AReusedNumberInheritingADeadRegistrationFailsClearlyThenWorks) {
  auto first = socket_pair();
  int number = first->fd[0];
  auto first_read = spawn([&] { return read_some(number); });
  let_the_driver_poll();  // parked: the descriptor is registered now
  write_all(first->fd[1], "x");
  EXPECT_EQ(first_read.get(), "x");
  ::close(std::exchange(first->fd[0], -1));
  int again[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, again), 0);
  FdPair second;  // closed through the hub at the end
  second.fd[0] = again[0];
  second.fd[1] = again[1];
  ASSERT_EQ(second.fd[0], number) << "the new descriptor did not reuse the number";
  // Not adopted either: the driver still believes `number` is registered.
  auto reader = spawn([&] { return wait_result(number, io_events::readable, 60s); });
  EXPECT_EQ(reader.get(), Errc::closed_behind_hub);
  // The driver forgot the dead registration, so the next wait registers the new descriptor.
  auto retry = spawn([&] { return wait_result(number, io_events::readable, 60s); });
  let_the_driver_poll();
  write_all(second.fd[1], "new");
  EXPECT_EQ(retry.get(), std::error_code());
  EXPECT_EQ(read_some(number), "new");
}

TEST_P(EpollAudit, AQuietLiveDescriptorIsNeverFailed) {
  auto sp = socket_pair();
  // Long enough for two audits: each finds the registration alive.
  EXPECT_EQ(wait_result(sp->fd[0], io_events::readable, 2500ms), Errc::timed_out);
  write_all(sp->fd[1], "late");
  EXPECT_EQ(read_some(sp->fd[0]), "late");
}

// The per-descriptor table after a spike: the hub has the driver drop the entries past the last
// descriptor in use (Driver::release_unused_memory). Each test puts one descriptor far above the
// others, so that the table grows for it alone.
class EpollTable : public DriverConformance {
 protected:
  EpollDriver& driver() { return dynamic_cast<EpollDriver&>(hub_->driver()); }
};
INSTANTIATE_TEST_SUITE_P(Epoll, EpollTable, ::testing::Values(DriverKind::epoll), driver_name);

TEST_P(EpollTable, ReleaseDropsOnlyTheUnusedTailAndAReusedNumberWorksAfterwards) {
  const int high = high_descriptor_number();
  if (high < 0) GTEST_SKIP() << "RLIMIT_NOFILE below 1024";
  auto low = socket_pair();
  auto low_reader = spawn([&] { return read_some(low->fd[0]); });
  auto top = socket_pair_at(high);
  ASSERT_EQ(top->fd[0], high);
  auto top_reader = spawn([&] { return read_some(top->fd[0]); });
  let_the_driver_poll();
  driver().release_unused_memory();
  EXPECT_GT(driver().fd_table_capacity(), static_cast<std::size_t>(high)) << "an entry in use was dropped";
  write_all(top->fd[1], "top");
  EXPECT_EQ(top_reader.get(), "top");

  top.reset();  // closed through the hub: nothing is left at the top of the table
  driver().release_unused_memory();
  EXPECT_LT(driver().fd_table_capacity(), static_cast<std::size_t>(high));

  // The number's next descriptor gets a fresh entry, and its own events.
  expect_a_new_descriptor_at_works(high);
  // The wait on the low descriptor lived through both releases.
  EXPECT_FALSE(low_reader->ready());
  write_all(low->fd[1], "low");
  EXPECT_EQ(low_reader.get(), "low");
}

// A descriptor closed with plain close() while a dup keeps its open file alive stays registered in
// the epoll set under its old token, and keeps reporting. Once the driver has forgotten the number
// and dropped its entry, the entry made for the number's next descriptor must not take those late
// events for its own (with a generation counted per entry, the fresh entry would start again where
// the dropped one did, and this reader would be woken by the old socket's data).
TEST_P(EpollTable, ALateEventOfADroppedEntrysRegistrationIsIgnored) {
  const int high = high_descriptor_number();
  if (high < 0) GTEST_SKIP() << "RLIMIT_NOFILE below 1024";
  driver().release_unused_memory();  // the number has no entry yet: both registrations get fresh ones
  ASSERT_LT(driver().fd_table_capacity(), static_cast<std::size_t>(high));
  auto old = socket_pair_at(high);
  ASSERT_EQ(old->fd[0], high);
  EXPECT_EQ(wait_result(high, io_events::writable), std::error_code());  // registered now
  int keep = ::dup(high);  // keeps the open file, and with it the registration, alive
  ASSERT_GE(keep, 0);
  ::close(std::exchange(old->fd[0], -1));  // the mistake: not through the hub
  {
    // The number's next descriptor is adopted (the driver forgets the number) and closed again.
    auto between = socket_pair_at(high);
    ASSERT_EQ(between->fd[0], high);
  }
  driver().release_unused_memory();
  ASSERT_LT(driver().fd_table_capacity(), static_cast<std::size_t>(high)) << "the entry was not dropped";

  auto fresh = socket_pair_at(high);
  ASSERT_EQ(fresh->fd[0], high);
  auto reader = spawn([&] { return wait_result(high, io_events::readable, 60s); });
  let_the_driver_poll();           // registered under a generation of its own
  write_all(old->fd[1], "stale");  // the old socket turns readable: its registration reports
  for (int i = 0; i < 3; ++i) let_the_driver_poll();
  EXPECT_FALSE(reader->ready()) << "woken by the closed descriptor's registration";
  write_all(fresh->fd[1], "new");
  EXPECT_EQ(reader.get(), std::error_code());
  EXPECT_EQ(read_some(high), "new");
  ::close(keep);
}

}  // namespace
}  // namespace fern::driver_testing
