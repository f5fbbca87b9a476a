// Stream: buffered lines, delimiters and exact reads over a real TCP connection fed in awkward
// pieces by another greenlet; limits, end of stream, and write batching.
#include "fern/net/stream.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;

// A connected pair: `near` wrapped in a Stream under test, `far` a raw socket driving it.
struct Pair {
  Pair() {
    Socket listener = listen_tcp(Address::ipv4_loopback());
    far = Socket::tcp();
    far.connect(listener.local_address());
    near = listener.accept();
  }
  Socket near;
  Socket far;
};

// Sends `text` one byte at a time with a yield between, so every read sees a partial buffer.
GreenletRef<void> trickle(Socket& to, std::string text) {
  return spawn([&to, text] {
    for (char c : text) {
      to.send_all(&c, 1);
      sleep(0s);
    }
  });
}

TEST(Stream, ReadsLinesFromAByteAtATime) {
  Pair p;
  auto writer = trickle(p.far, "first\nsecond\r\nlast");
  Stream s(std::move(p.near));
  EXPECT_EQ(s.read_line(), "first\n");
  EXPECT_EQ(s.read_line(), "second\r\n");
  writer.get();
  p.far.close();
  EXPECT_EQ(s.read_line(), "last");  // what is left at end of stream
  EXPECT_EQ(s.read_line(), "");      // and then nothing
}

TEST(Stream, ReadUntilAMultiByteDelimiterSplitAcrossReads) {
  Pair p;
  auto writer = trickle(p.far, "GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
  Stream s(std::move(p.near));
  EXPECT_EQ(s.read_until("\r\n\r\n"), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(s.read_exact(4), "body");
  writer.get();
}

TEST(Stream, LineLongerThanTheLimitIsAnErrorAndConsumesNothing) {
  Pair p;
  p.far.send_all(std::string(100, 'a') + "\n");
  Stream s(std::move(p.near));
  try {
    s.read_line(50);
    FAIL() << "expected limit_exceeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::limit_exceeded));
  }
  EXPECT_EQ(s.read_line(200), std::string(100, 'a') + "\n");
}

TEST(Stream, LinesLargerThanTheBufferGrowIt) {
  Pair p;
  const std::string big(100000, 'b');
  auto writer = spawn([&] { p.far.send_all(big + "\nnext\n"); });
  Stream s(std::move(p.near), 1024);
  EXPECT_EQ(s.read_line(200000), big + "\n");
  EXPECT_EQ(s.read_line(), "next\n");
  writer.get();
}

TEST(Stream, ReadExactFailsAtAnEarlyEnd) {
  Pair p;
  p.far.send_all("abc");
  p.far.close();
  Stream s(std::move(p.near));
  try {
    s.read_exact(10);
    FAIL() << "expected unexpected_eof";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::unexpected_eof));
  }
}

TEST(Stream, WritesAreBatchedUntilFlush) {
  Pair p;
  Stream s(std::move(p.near));
  s.write("one ");
  s.write("two");
  EXPECT_EQ(s.pending_write(), 7u);
  p.far.set_timeout(20ms);
  char buffer[16];
  std::error_code ec;
  p.far.recv(buffer, sizeof buffer, ec);
  EXPECT_EQ(ec, make_error_code(Errc::timed_out));  // nothing was sent yet
  s.flush();
  EXPECT_EQ(s.pending_write(), 0u);
  p.far.set_timeout(kForever);
  EXPECT_EQ(p.far.recv_exact(7), "one two");
}

TEST(Stream, LargeWritesGoStraightThrough) {
  Pair p;
  Stream s(std::move(p.near), 1024);
  const std::string big(1 << 20, 'z');
  auto reader = spawn([&] { return p.far.recv_exact(big.size() + 2); });
  s.write("<");
  s.write(big);
  s.write(">");
  s.flush();
  EXPECT_EQ(reader.get(), "<" + big + ">");
}

TEST(Stream, ParsersUseTheBufferDirectly) {
  Pair p;
  auto writer = trickle(p.far, "12345");
  Stream s(std::move(p.near));
  while (s.buffered().size() < 5) ASSERT_GT(s.fill(), 0u);
  EXPECT_EQ(s.buffered(), "12345");
  s.consume(2);
  EXPECT_EQ(s.buffered(), "345");
  char out[8];
  EXPECT_EQ(s.read_some(out, sizeof out), 3u);
  writer.get();
}

TEST(Stream, TimeoutAppliesToReads) {
  Pair p;
  Stream s(std::move(p.near));
  s.set_timeout(20ms);
  try {
    s.read_line();
    FAIL() << "expected a timeout";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::timed_out));
  }
}

}  // namespace
}  // namespace fern::net
