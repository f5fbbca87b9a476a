// PipeEnd and make_pipe between greenlets of one hub: non-blocking close-on-exec ends, reads that
// park until a writer writes, a megabyte through a 64 KiB pipe, end of stream, EPIPE instead of
// SIGPIPE, timeouts, and close_fd waking a reader.
#include "fern/process/pipe.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::subprocess {
namespace {

using namespace std::chrono_literals;

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

TEST(Pipe, BothEndsAreNonBlockingAndCloseOnExec) {
  Pipe pipe = make_pipe();
  for (const PipeEnd* end : {&pipe.read_end, &pipe.write_end}) {
    ASSERT_TRUE(end->is_open());
    EXPECT_TRUE(::fcntl(end->fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(end->fd(), F_GETFD) & FD_CLOEXEC);
  }
}

TEST(Pipe, ReadParksUntilAnotherGreenletWrites) {
  Pipe pipe = make_pipe();
  spawn([&] { pipe.write_end.write_all("hello"); });
  char buffer[16];
  std::size_t n = pipe.read_end.read(buffer, sizeof buffer, 10s);
  EXPECT_EQ(std::string(buffer, n), "hello");
}

TEST(Pipe, AMegabyteGoesThroughWhileBothSidesPark) {
  Pipe pipe = make_pipe();
  const std::string data = pattern(1 << 20);
  auto reader = spawn([&] { return pipe.read_end.read_all(30s); });
  pipe.write_end.write_all(data, 30s);
  pipe.write_end.close();
  EXPECT_EQ(reader.get(), data);
}

TEST(Pipe, ReadReturnsZeroAtEndOfStream) {
  Pipe pipe = make_pipe();
  pipe.write_end.close();
  char c;
  EXPECT_EQ(pipe.read_end.read(&c, 1, 10s), 0u);
  std::error_code ec;
  EXPECT_EQ(pipe.read_end.read_some(&c, 1, ec), 0u);
  EXPECT_FALSE(ec);
}

TEST(Pipe, ReadSomeSaysWouldBlockOnAnEmptyPipe) {
  Pipe pipe = make_pipe();
  char c;
  std::error_code ec;
  EXPECT_EQ(pipe.read_end.read_some(&c, 1, ec), 0u);
  EXPECT_EQ(ec, make_error_code(Errc::would_block));
}

TEST(Pipe, WritingToAPipeWithoutReaderIsEpipeNotSigpipe) {
  Pipe pipe = make_pipe();
  pipe.read_end.close();
  try {
    pipe.write_end.write_all("x");
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
  }
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);  // taken back, not left for later
}

TEST(Pipe, ReadTimesOut) {
  Pipe pipe = make_pipe();
  char c;
  try {
    pipe.read_end.read(&c, 1, 10ms);
    FAIL() << "no timeout";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::timed_out));
  }
}

TEST(Pipe, ClosingAnEndWakesTheGreenletReadingIt) {
  Pipe pipe = make_pipe();
  auto reader = spawn([&] {
    char c;
    pipe.read_end.read(&c, 1);
  });
  sleep(1ms);  // the reader parks
  pipe.read_end.close();
  try {
    reader.get(10s);
    FAIL() << "the read did not fail";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::closed));
  }
}

TEST(Pipe, MovingAnEndMovesTheDescriptor) {
  Pipe pipe = make_pipe();
  int fd = pipe.read_end.fd();
  PipeEnd moved = std::move(pipe.read_end);
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_FALSE(pipe.read_end.is_open());
  int released = moved.release();
  EXPECT_EQ(released, fd);
  EXPECT_FALSE(moved.is_open());
  PipeEnd again(released);  // closes it
}

}  // namespace
}  // namespace fern::subprocess
