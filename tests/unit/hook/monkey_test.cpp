// The hooks against real descriptors: socketpairs, TCP on 127.0.0.1, pipes, regular files. Every
// "it cooperated" check is structural: another greenlet ran while the first was inside a blocking
// call, which cannot happen when the call blocks the thread.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <fern/hook/monkey.hpp>
#include <fern/hub/sleep.hpp>
#include <fern/hub/spawn.hpp>
#include <fern/hub/thread_pool.hpp>
#include <fern/hub/timeout.hpp>

namespace {

using namespace std::chrono_literals;

// The kernel's flags, past the hook's user view.
int kernel_flags(int fd) { return static_cast<int>(syscall(SYS_fcntl, fd, F_GETFL)); }

// Runs `sleeper` and `marker` as greenlets; true when the marker ran while the sleeper was still
// inside its call.
template <class F>
bool other_greenlet_ran_during(F sleeper) {
  bool sleeper_done = false;
  bool marker_saw_sleeper_done = true;
  auto a = fern::spawn([&] {
    sleeper();
    sleeper_done = true;
  });
  auto b = fern::spawn([&] { marker_saw_sleeper_done = sleeper_done; });
  fern::joinall({a, b});
  return !marker_saw_sleeper_done;
}

// Must stay the first test: the process is not patched yet.
TEST(MonkeyBeforePatch, CallsAreLibcsAndBlockTheThread) {
  ASSERT_FALSE(fern::monkey::patched());
  EXPECT_FALSE(other_greenlet_ran_during([] { usleep(50000); }));
  int sv[2];
  fern::spawn([&] { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0); }).get();
  EXPECT_EQ(kernel_flags(sv[0]) & O_NONBLOCK, 0) << "unpatched socketpair must not be touched";
  close(sv[0]);
  close(sv[1]);
}

class Monkey : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fern::monkey::patch_all(); }
};

TEST_F(Monkey, SleepsParkOnlyTheGreenlet) {
  EXPECT_TRUE(other_greenlet_ran_during([] { usleep(20000); }));
  EXPECT_TRUE(other_greenlet_ran_during([] {
    timespec ts{0, 20000000};
    EXPECT_EQ(nanosleep(&ts, nullptr), 0);
  }));
  EXPECT_TRUE(other_greenlet_ran_during([] {
    timespec ts{0, 20000000};
    EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr), 0);
  }));
  EXPECT_TRUE(other_greenlet_ran_during([] { EXPECT_EQ(poll(nullptr, 0, 20), 0); }));
  EXPECT_TRUE(other_greenlet_ran_during([] {
    timeval tv{0, 20000};
    EXPECT_EQ(select(0, nullptr, nullptr, nullptr, &tv), 0);
  }));
}

// {LONG_MAX, 0} is a common way to say "forever", and the kernel takes any tv_sec for SO_RCVTIMEO:
// the hook turns them into deadlines without overflowing (UBSan would report it) and parks until
// interrupted. A timeout the kernel would refuse still fails with EINVAL.
TEST_F(Monkey, HugeTimeoutsSaturateAndMalformedOnesAreRefused) {
  constexpr auto kForever = std::numeric_limits<time_t>::max();
  fern::spawn([&] {
    {
      fern::Timeout scope(10ms);
      timespec ts{kForever, 999999999};
      EXPECT_EQ(nanosleep(&ts, nullptr), -1);
      EXPECT_TRUE(fern::monkey::interrupted());
      EXPECT_THROW(fern::monkey::rethrow_interruption(), fern::TimeoutError);
    }
    {
      fern::Timeout scope(10ms);
      timespec ts{kForever, 0};
      EXPECT_EQ(ppoll(nullptr, 0, &ts, nullptr), -1);
      EXPECT_THROW(fern::monkey::rethrow_interruption(), fern::TimeoutError);
    }
    {
      fern::Timeout scope(10ms);
      timeval tv{kForever, 999999};
      EXPECT_EQ(select(0, nullptr, nullptr, nullptr, &tv), -1);
      EXPECT_THROW(fern::monkey::rethrow_interruption(), fern::TimeoutError);
    }
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    timeval forever{kForever, 0};
    ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof forever), 0);
    {
      fern::Timeout scope(10ms);
      char c;
      EXPECT_EQ(read(sv[0], &c, 1), -1);
      EXPECT_EQ(errno, ETIMEDOUT) << "the Timeout scope, not SO_RCVTIMEO, ended the read";
      EXPECT_THROW(fern::monkey::rethrow_interruption(), fern::TimeoutError);
    }
    close(sv[0]);
    close(sv[1]);

    timespec bad_ns{0, 1000000000};
    EXPECT_EQ(ppoll(nullptr, 0, &bad_ns, nullptr), -1);
    EXPECT_EQ(errno, EINVAL);
    timespec negative{-1, 0};
    EXPECT_EQ(pselect(0, nullptr, nullptr, nullptr, &negative, nullptr), -1);
    EXPECT_EQ(errno, EINVAL);
    timeval bad_us{0, -1};
    EXPECT_EQ(select(0, nullptr, nullptr, nullptr, &bad_us), -1);
    EXPECT_EQ(errno, EINVAL);
  }).get();
}

TEST_F(Monkey, OutsideAnyHubCallsStayLibcs) {
  // A thread without a hub: sleep blocks it, and a socket it creates is left blocking.
  std::thread([] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(kernel_flags(fd) & O_NONBLOCK, 0);
    close(fd);
  }).join();
}

TEST_F(Monkey, BlockingReadOnAnOwnedSocketParksAndKeepsTheUsersView) {
  int sv[2];
  std::string got;
  auto reader = fern::spawn([&] {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    EXPECT_NE(kernel_flags(sv[0]) & O_NONBLOCK, 0) << "the kernel side is non-blocking";
    EXPECT_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0) << "the user still sees a blocking socket";
    char buf[16] = {};
    ssize_t n = read(sv[0], buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.assign(buf, static_cast<size_t>(n));
  });
  bool writer_ran_while_reader_blocked = false;
  auto writer = fern::spawn([&] {
    writer_ran_while_reader_blocked = got.empty();
    ASSERT_EQ(write(sv[1], "hello", 5), 5);
  });
  fern::joinall({reader, writer});
  EXPECT_TRUE(writer_ran_while_reader_blocked);
  EXPECT_EQ(got, "hello");
  fern::spawn([&] {
    close(sv[0]);
    close(sv[1]);
  }).get();
}

TEST_F(Monkey, TcpConnectAcceptAndTheSocketFamilyCooperate) {
  int port = 0;
  int listener = -1;
  std::string server_got, client_got;
  auto server = fern::spawn([&] {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener, 8), 0);
    socklen_t len = sizeof addr;
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    int conn = accept(listener, nullptr, nullptr);
    ASSERT_GE(conn, 0);
    char buf[6];
    iovec iov[2] = {{buf, 3}, {buf + 3, 3}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t total = recvmsg(conn, &msg, 0);  // parks until the first bytes come
    ASSERT_GT(total, 0);
    while (total < 6) {
      ssize_t n = recv(conn, buf + total, static_cast<size_t>(6 - total), 0);
      ASSERT_GT(n, 0);
      total += n;
    }
    server_got.assign(buf, 6);
    iovec out[2] = {{const_cast<char*>("pon"), 3}, {const_cast<char*>("g!"), 2}};
    ASSERT_EQ(writev(conn, out, 2), 5);
    close(conn);
  });
  auto client = fern::spawn([&] {
    while (port == 0) fern::yield();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(send(fd, "pi", 2, 0), 2);
    fern::sleep(10ms);
    ASSERT_EQ(sendto(fd, "ng?", 3, 0, nullptr, 0), 3);
    iovec iov{const_cast<char*>("!"), 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ASSERT_EQ(sendmsg(fd, &msg, 0), 1);
    char buf[16];
    ssize_t n, total = 0;
    while ((n = recvfrom(fd, buf + total, sizeof buf - static_cast<size_t>(total), 0, nullptr, nullptr)) > 0)
      total += n;
    EXPECT_EQ(n, 0) << "end of stream";
    client_got.assign(buf, static_cast<size_t>(total));
    close(fd);
  });
  fern::joinall({server, client});
  EXPECT_EQ(server_got, "ping?!");
  EXPECT_EQ(client_got, "pong!");
  fern::spawn([&] { close(listener); }).get();
}

TEST_F(Monkey, ReceiveTimeoutIsHonouredAsATimeout) {
  fern::spawn([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    timeval tv{0, 30000};
    ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    EXPECT_TRUE(other_greenlet_ran_during([&] {
      char c;
      EXPECT_EQ(read(sv[0], &c, 1), -1);
      EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
    }));
    close(sv[0]);
    close(sv[1]);
  }).get();
}

TEST_F(Monkey, CloseWakesAGreenletBlockedOnTheDescriptor) {
  int sv[2];
  int result = 0, err = 0;
  auto reader = fern::spawn([&] {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    char c;
    result = static_cast<int>(read(sv[0], &c, 1));
    err = errno;
  });
  auto closer = fern::spawn([&] { close(sv[0]); });
  fern::joinall({reader, closer});
  EXPECT_EQ(result, -1);
  EXPECT_EQ(err, EBADF);
  fern::spawn([&] { close(sv[1]); }).get();
}

TEST_F(Monkey, ForeignDescriptorsCooperateWithoutChangingTheirFlags) {
  int sv[2], pipefd[2];
  ASSERT_EQ(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv), 0);  // made behind the hook's back
  ASSERT_EQ(pipe(pipefd), 0);
  std::string from_socket, from_pipe;
  auto reader = fern::spawn([&] {
    char buf[8];
    ssize_t n = read(sv[0], buf, sizeof buf);
    if (n > 0) from_socket.assign(buf, static_cast<size_t>(n));
    n = read(pipefd[0], buf, sizeof buf);
    if (n > 0) from_pipe.assign(buf, static_cast<size_t>(n));
  });
  bool writer_ran_first = false;
  auto writer = fern::spawn([&] {
    writer_ran_first = from_socket.empty();
    ASSERT_EQ(write(sv[1], "sock", 4), 4);
    fern::sleep(5ms);
    ASSERT_EQ(write(pipefd[1], "pipe", 4), 4);
  });
  fern::joinall({reader, writer});
  EXPECT_TRUE(writer_ran_first);
  EXPECT_EQ(from_socket, "sock");
  EXPECT_EQ(from_pipe, "pipe");
  EXPECT_EQ(kernel_flags(sv[0]) & O_NONBLOCK, 0);
  EXPECT_EQ(kernel_flags(pipefd[0]) & O_NONBLOCK, 0);
  for (int fd : {sv[0], sv[1], pipefd[0], pipefd[1]}) close(fd);
}

TEST_F(Monkey, UserNonBlockingModeIsRespected) {
  fern::spawn([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK), 0);
    EXPECT_NE(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    char c;
    EXPECT_EQ(read(sv[0], &c, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
    int off = 0;
    ASSERT_EQ(ioctl(sv[0], FIONBIO, &off), 0);
    EXPECT_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(kernel_flags(sv[0]) & O_NONBLOCK, 0);
    int copy = dup(sv[0]);
    EXPECT_EQ(fcntl(copy, F_GETFL) & O_NONBLOCK, 0) << "a dup shares the user's view";
    for (int fd : {sv[0], sv[1], copy}) close(fd);
  }).get();
}

TEST_F(Monkey, PollSelectAndEpollWaitParkOnEveryDescriptor) {
  fern::spawn([] {
    int a[2], b[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    auto poke_b = [&] { fern::spawn([&] { EXPECT_EQ(write(b[1], "x", 1), 1); }); };

    poke_b();
    pollfd fds[2] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}};
    ASSERT_EQ(poll(fds, 2, -1), 1);
    EXPECT_EQ(fds[0].revents, 0);
    EXPECT_NE(fds[1].revents & POLLIN, 0);
    char c;
    ASSERT_EQ(read(b[0], &c, 1), 1);

    poke_b();
    fd_set r;
    FD_ZERO(&r);
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    ASSERT_EQ(select(std::max(a[0], b[0]) + 1, &r, nullptr, nullptr, nullptr), 1);
    EXPECT_FALSE(FD_ISSET(a[0], &r));
    EXPECT_TRUE(FD_ISSET(b[0], &r));
    ASSERT_EQ(read(b[0], &c, 1), 1);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = b[0];
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev), 0);
    poke_b();
    epoll_event out[4];
    ASSERT_EQ(epoll_wait(ep, out, 4, -1), 1);
    EXPECT_EQ(out[0].data.fd, b[0]);
    for (int fd : {a[0], a[1], b[0], b[1], ep}) close(fd);
  }).get();
}

TEST_F(Monkey, NamesResolveOnThePool) {
  fern::spawn([] {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* res = nullptr;
    ASSERT_EQ(getaddrinfo("localhost", "80", &hints, &res), 0);
    ASSERT_NE(res, nullptr);
    EXPECT_EQ(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    freeaddrinfo(res);
    hostent* h = gethostbyname("localhost");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->h_addrtype, AF_INET);
  }).get();
  EXPECT_GT(fern::ThreadPool::shared().threads(), 0u);
}

TEST_F(Monkey, RegularFilesReadOnThePoolOrInPlace) {
  char path[] = "/tmp/fern-hook-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  for (auto mode : {fern::monkey::FileIo::thread_pool, fern::monkey::FileIo::direct}) {
    fern::monkey::set_file_io(mode);
    fern::spawn([&] {
      ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
      ASSERT_EQ(write(fd, "file data", 9), 9);
      ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
      char buf[16] = {};
      ASSERT_EQ(read(fd, buf, sizeof buf), 9);
      EXPECT_STREQ(buf, "file data");
    }).get();
  }
  fern::monkey::set_file_io(fern::monkey::FileIo::thread_pool);
  close(fd);
}

TEST_F(Monkey, AnOwnedSocketStillBlocksInAThreadWithoutAHub) {
  int sv[2];
  fern::spawn([&] { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0); }).get();
  ASSERT_NE(kernel_flags(sv[0]) & O_NONBLOCK, 0);
  ssize_t got = 0;
  std::thread reader([&] {
    char buf[4];
    got = read(sv[0], buf, sizeof buf);  // must wait for the data, not fail with EAGAIN
  });
  std::thread writer([&] {
    usleep(20000);
    EXPECT_EQ(write(sv[1], "late", 4), 4);
  });
  reader.join();
  writer.join();
  EXPECT_EQ(got, 4);
  close(sv[0]);
  close(sv[1]);
}

TEST_F(Monkey, ATimeoutScopeInterruptsAHookedCallAndIsRethrownInCpp) {
  fern::spawn([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fern::Timeout scope(20ms);
    char c;
    EXPECT_EQ(read(sv[0], &c, 1), -1);
    EXPECT_EQ(errno, ETIMEDOUT);
    EXPECT_TRUE(fern::monkey::interrupted());
    EXPECT_EQ(write(sv[1], "x", 1), -1) << "later hooked calls fail at once";
    try {
      fern::monkey::rethrow_interruption();
      ADD_FAILURE() << "nothing rethrown";
    } catch (const fern::TimeoutError& e) {
      EXPECT_TRUE(e.is(scope));
    }
    EXPECT_FALSE(fern::monkey::interrupted());
    EXPECT_EQ(write(sv[1], "x", 1), 1);
    close(sv[0]);
    close(sv[1]);
  }).get();
}

TEST_F(Monkey, AKillReachesAGreenletInsideAHookedCall) {
  int sv[2];
  bool unwound = false;
  auto victim = fern::spawn([&] {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct Mark {
      bool& b;
      ~Mark() { b = true; }
    } mark{unwound};
    char c;
    fern::monkey::call([&] { return read(sv[0], &c, 1); });
  });
  fern::sleep(10ms);
  victim->kill();
  EXPECT_TRUE(victim->ready());
  EXPECT_TRUE(unwound);
  fern::spawn([&] {
    close(sv[0]);
    close(sv[1]);
  }).get();
}

}  // namespace
