#include "fern/driver/epoll_driver.hpp"

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

}  // namespace
}  // namespace fern::driver_testing
