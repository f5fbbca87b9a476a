// The behaviour every Driver owes the hub, checked against real socketpairs, loopback TCP and
// regular files. Each <driver>_driver_test.cpp instantiates this suite for its DriverKind (and adds
// what is particular to it); the suite installs that driver as the thread's hub driver.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::driver_testing {

using namespace std::chrono_literals;

// A connected pair of non-blocking descriptors, closed through the hub on scope exit.
struct FdPair {
  int fd[2] = {-1, -1};
  FdPair() = default;
  FdPair(const FdPair&) = delete;
  FdPair& operator=(const FdPair&) = delete;
  ~FdPair() {
    for (int& f : fd) close(f);
  }
  static void close(int& f) {
    if (f >= 0) close_fd(f);
    f = -1;
  }
};

inline std::unique_ptr<FdPair> socket_pair() {
  auto p = std::make_unique<FdPair>();
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p->fd) != 0) {
    throw_errno("socketpair");
  }
  adopt_fd(p->fd[0]);
  adopt_fd(p->fd[1]);
  return p;
}

// A descriptor number far above the ones a test opens, within the descriptor limit, so that a
// driver's per-descriptor table grows for it alone; -1 when the limit is below 1024.
inline int high_descriptor_number() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < 1024) return -1;
  return static_cast<int>(std::min<rlim_t>(4000, limit.rlim_cur - 64));
}

// A socketpair whose first descriptor is moved to the lowest free number at or above `number`.
inline std::unique_ptr<FdPair> socket_pair_at(int number) {
  auto p = socket_pair();
  int moved = ::fcntl(p->fd[0], F_DUPFD_CLOEXEC, number);
  if (moved < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  FdPair::close(p->fd[0]);
  adopt_fd(moved);
  p->fd[0] = moved;
  return p;
}

// A TCP connection on 127.0.0.1 made the cooperative way: a non-blocking connect completed by
// waiting for writability, an accept that waits for the listener to become readable.
inline std::unique_ptr<FdPair> tcp_pair() {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) throw_errno("socket");
  adopt_fd(listener);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 16) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw_errno("listen");
  }
  auto acceptor = spawn([listener] {
    for (;;) {
      int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) return fd;
      if (errno != EAGAIN) throw_errno("accept4");
      wait_readable(listener, 10s);
    }
  });
  auto p = std::make_unique<FdPair>();
  p->fd[0] = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd[0] < 0) throw_errno("socket");
  adopt_fd(p->fd[0]);
  if (::connect(p->fd[0], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) throw_errno("connect");
    wait_writable(p->fd[0], 10s);
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(p->fd[0], SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) throw std::system_error(err, std::system_category(), "connect");
  }
  p->fd[1] = acceptor.get();
  adopt_fd(p->fd[1]);
  close_fd(listener);
  return p;
}

// Reads what is there, waiting (up to `timeout`) while there is nothing; "" at end of stream.
inline std::string read_some(int fd, Duration timeout = 10s) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    if (errno != EAGAIN) throw_errno("read");
    wait_readable(fd, timeout);
  }
}

inline void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      wait_writable(fd, 10s);
    } else {
      throw_errno("write");
    }
  }
}

// Fills the socket's send buffer until a write would block.
inline void fill(int fd) {
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  std::string chunk(65536, 'x');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
}

inline void drain(int fd) {
  char buf[65536];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

// Lets the waits just started reach the kernel: a timed sleep makes the hub run a whole turn,
// driver poll included (a zero sleep may come back before the driver has submitted anything).
inline void let_the_driver_poll() { sleep(1ms); }

// A descriptor opened at `number` after its driver entry was dropped (release_unused_memory) gets
// a fresh entry and its own events, and none of an earlier registration's.
inline void expect_a_new_descriptor_at_works(int number) {
  auto again = socket_pair_at(number);
  ASSERT_EQ(again->fd[0], number);
  auto again_reader = spawn([&] { return read_some(again->fd[0]); });
  let_the_driver_poll();
  EXPECT_FALSE(again_reader->ready());
  write_all(again->fd[1], "again");
  EXPECT_EQ(again_reader.get(), "again");
}

// The error a wait ended with (empty when the fd became ready).
inline std::error_code wait_result(int fd, std::uint32_t events, Duration timeout = 10s) {
  return wait_fd(fd, events, deadline_after(timeout));
}

// Names instantiations by driver ("Uring/DriverConformance.X/uring"), not by the enum's bytes.
inline std::string driver_name(const ::testing::TestParamInfo<DriverKind>& info) {
  return std::string(to_string(info.param));
}

class DriverConformance : public ::testing::TestWithParam<DriverKind> {
 protected:
  void SetUp() override {
    try {
      hub_ = &Hub::install(GetParam());
    } catch (const std::system_error& e) {
      GTEST_SKIP() << "driver " << to_string(GetParam()) << " unavailable here: " << e.what();
    }
  }
  void TearDown() override {
    if (hub_) {
      EXPECT_EQ(hub_->driver().waiting(), 0u) << "a wait was left linked";
    }
  }
  // How many socketpairs the many-fds test opens: select(2) stops at descriptor 1023.
  int many_pairs() const { return GetParam() == DriverKind::select ? 400 : 1000; }

  Hub* hub_ = nullptr;
};

TEST_P(DriverConformance, HubUsesTheDriver) { EXPECT_EQ(hub_->driver().kind(), GetParam()); }

TEST_P(DriverConformance, ReaderParksUntilDataArrives) {
  auto sp = socket_pair();
  auto reader = spawn([&] { return read_some(sp->fd[0]); });
  let_the_driver_poll();
  EXPECT_FALSE(reader->ready());
  EXPECT_EQ(hub_->driver().waiting(), 1u);
  write_all(sp->fd[1], "hello");
  EXPECT_EQ(reader.get(), "hello");
}

TEST_P(DriverConformance, ReadyBeforeTheWaitReturnsAtOnce) {
  auto sp = socket_pair();
  write_all(sp->fd[1], "early");
  EXPECT_EQ(wait_result(sp->fd[0], io_events::readable), std::error_code());
  EXPECT_EQ(read_some(sp->fd[0]), "early");
}

TEST_P(DriverConformance, ReaderAndWriterOnOneFdWakeIndependently) {
  auto sp = socket_pair();
  fill(sp->fd[0]);
  auto reader = spawn([&] { return wait_result(sp->fd[0], io_events::readable); });
  auto writer = spawn([&] { return wait_result(sp->fd[0], io_events::writable); });
  let_the_driver_poll();
  EXPECT_EQ(hub_->driver().waiting(), 2u);
  drain(sp->fd[1]);
  EXPECT_EQ(writer.get(), std::error_code());
  EXPECT_FALSE(reader->ready());
  write_all(sp->fd[1], "r");
  EXPECT_EQ(reader.get(), std::error_code());
}

TEST_P(DriverConformance, ManyFdsEachWakesItsOwnReader) {
  std::vector<std::unique_ptr<FdPair>> pairs;
  std::vector<GreenletRef<std::string>> readers;
  for (int i = 0; i < many_pairs(); ++i) {
    pairs.push_back(socket_pair());
    int fd = pairs.back()->fd[0];
    readers.push_back(spawn([fd] { return read_some(fd); }));
  }
  let_the_driver_poll();
  EXPECT_EQ(hub_->driver().waiting(), static_cast<std::size_t>(many_pairs()));
  // Every other pair first, in reverse: the rest must stay parked meanwhile.
  for (int i = many_pairs() - 1; i >= 0; i -= 2) write_all(pairs[i]->fd[1], "m" + std::to_string(i));
  for (int i = many_pairs() - 1; i >= 0; i -= 2) EXPECT_EQ(readers[i].get(), "m" + std::to_string(i));
  for (int i = 0; i < many_pairs(); i += 2) EXPECT_FALSE(readers[i]->ready()) << i;
  for (int i = 0; i < many_pairs(); i += 2) write_all(pairs[i]->fd[1], "m" + std::to_string(i));
  for (int i = 0; i < many_pairs(); i += 2) EXPECT_EQ(readers[i].get(), "m" + std::to_string(i));
}

TEST_P(DriverConformance, TcpConnectAcceptEchoAndEof) {
  auto tcp = tcp_pair();
  int one = 1;
  ::setsockopt(tcp->fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto echo = spawn([&] {
    std::size_t echoed = 0;
    for (;;) {
      std::string got = read_some(tcp->fd[1]);
      if (got.empty()) return echoed;  // the client closed
      echoed += got.size();
      write_all(tcp->fd[1], got);
    }
  });
  std::string big(1 << 20, 'b');
  auto sender = spawn([&] { write_all(tcp->fd[0], big); });
  std::string back;
  while (back.size() < big.size()) back += read_some(tcp->fd[0]);
  sender.get();
  EXPECT_EQ(back, big);
  ::shutdown(tcp->fd[0], SHUT_WR);
  EXPECT_EQ(echo.get(), big.size());
}

TEST_P(DriverConformance, PeerCloseWakesReaderWithEndOfStream) {
  auto tcp = tcp_pair();
  auto reader = spawn([&] { return read_some(tcp->fd[1]); });
  let_the_driver_poll();
  FdPair::close(tcp->fd[0]);
  EXPECT_EQ(reader.get(), "");
}

TEST_P(DriverConformance, CloseFdWakesEveryWaiterWithClosed) {
  auto sp = socket_pair();
  fill(sp->fd[0]);
  auto reader = spawn([&] { return wait_result(sp->fd[0], io_events::readable); });
  auto writer = spawn([&] { return wait_result(sp->fd[0], io_events::writable); });
  auto both = spawn([&] { return wait_result(sp->fd[0], io_events::readable | io_events::writable); });
  let_the_driver_poll();
  EXPECT_EQ(hub_->driver().waiting(), 3u);
  FdPair::close(sp->fd[0]);
  EXPECT_EQ(hub_->driver().waiting(), 0u);
  EXPECT_EQ(reader.get(), Errc::closed);
  EXPECT_EQ(writer.get(), Errc::closed);
  EXPECT_EQ(both.get(), Errc::closed);
}

TEST_P(DriverConformance, CloseFdReleasesTheSocketAtOnce) {
  auto sp = socket_pair();
  auto reader = spawn([&] { return wait_result(sp->fd[0], io_events::readable); });
  let_the_driver_poll();
  // No turn of the loop between the close and the check: nothing in the driver may keep the
  // socket open (an armed io_uring poll holds a reference to the file until it is cancelled).
  FdPair::close(sp->fd[0]);
  char c;
  EXPECT_EQ(::recv(sp->fd[1], &c, 1, MSG_DONTWAIT), 0) << "the peer did not see the close";
  EXPECT_EQ(reader.get(), Errc::closed);
}

TEST_P(DriverConformance, AReusedDescriptorNumberStartsClean) {
  auto first = socket_pair();
  int number = first->fd[0];
  auto old_reader = spawn([&] { return wait_result(number, io_events::readable); });
  let_the_driver_poll();
  FdPair::close(first->fd[0]);
  EXPECT_EQ(old_reader.get(), Errc::closed);
  // The next descriptor gets the lowest free number: the one just closed.
  auto second = socket_pair();
  ASSERT_EQ(second->fd[0], number);
  auto reader = spawn([&] { return wait_result(second->fd[0], io_events::readable); });
  sleep(1ms);  // lets any late completion for the old descriptor (a cancelled poll) arrive first
  EXPECT_FALSE(reader->ready()) << "woken by the closed descriptor's events";
  write_all(second->fd[1], "new");
  EXPECT_EQ(reader.get(), std::error_code());
  EXPECT_EQ(read_some(second->fd[0]), "new");
}

TEST_P(DriverConformance, TimedOutWaitUnlinksAndLaterDataIsHarmless) {
  auto sp = socket_pair();
  EXPECT_EQ(wait_result(sp->fd[0], io_events::readable, 1ms), Errc::timed_out);
  EXPECT_EQ(hub_->driver().waiting(), 0u);
  write_all(sp->fd[1], "late");
  sleep(1ms);  // the driver sees the data with nobody waiting
  EXPECT_EQ(read_some(sp->fd[0]), "late");
}

TEST_P(DriverConformance, KilledWaiterUnlinks) {
  auto sp = socket_pair();
  auto reader = spawn([&] { return read_some(sp->fd[0]); });
  let_the_driver_poll();
  EXPECT_EQ(hub_->driver().waiting(), 1u);
  reader->kill();
  EXPECT_TRUE(reader->killed());
  EXPECT_EQ(hub_->driver().waiting(), 0u);
}

TEST_P(DriverConformance, RegularFileIsAlwaysReady) {
  char path[] = "/tmp/fern_driver_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  adopt_fd(fd);
  EXPECT_EQ(wait_result(fd, io_events::readable), std::error_code());
  EXPECT_EQ(wait_result(fd, io_events::writable), std::error_code());
  close_fd(fd);
}

TEST_P(DriverConformance, NegativeFdIsRejected) {
  try {
    wait_fd(-1, io_events::readable, deadline_after(1s));
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
}

TEST_P(DriverConformance, WakeFromAnotherThreadEndsAPoll) {
  Driver& driver = hub_->driver();
  std::atomic<bool> woken{false};
  std::thread waker([&] {
    std::this_thread::sleep_for(5ms);
    woken = true;
    driver.wake();
  });
  // A poll returns for a reason: this one has none but the wake (a minute is far away).
  while (!woken) driver.poll(60s);
  waker.join();
}

TEST_P(DriverConformance, WakeFromAnotherThreadResumesAParkedGreenlet) {
  RemoteHub remote = hub_->remote();
  Waiter waiter;
  std::thread poster([&] {
    std::this_thread::sleep_for(5ms);
    remote.call([&] { waiter.wake(); });
  });
  // Woken (true) long before the far deadline, or the wake was lost.
  EXPECT_TRUE(waiter.park(deadline_after(60s)));
  poster.join();
}

TEST_P(DriverConformance, TimeoutsNeverFireEarly) {
  auto sp = socket_pair();
  for (Duration d : {Duration(1us), Duration(50us), Duration(1ms), Duration(3ms)}) {
    TimePoint start = Clock::now();
    EXPECT_EQ(wait_result(sp->fd[0], io_events::readable, d), Errc::timed_out);
    EXPECT_GE(Clock::now() - start, d);
    start = Clock::now();
    sleep(d);
    EXPECT_GE(Clock::now() - start, d);
  }
}

}  // namespace fern::driver_testing
