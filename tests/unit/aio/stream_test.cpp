#include "fern/aio/stream.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "fern/aio/fd.hpp"
#include "fern/aio/gather.hpp"
#include "fern/aio/spawn.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "socket_pair.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

// The server side writes `script` in small pieces, then closes.
Task<void> serve_script(int listen_fd, std::vector<std::string> script) {
  int fd = co_await sock_accept(listen_fd);
  for (const std::string& piece : script) co_await sock_sendall(fd, piece.data(), piece.size());
  close_fd(fd);
}

struct Reads {
  std::vector<std::string> lines;
  std::string exact;
  std::string tail;
};

Task<Reads> read_script(const test::Listener& l) {
  int fd = test::tcp_socket();
  co_await aio::sock_connect(fd, l.addr(), sizeof l.address);
  Stream s(fd, 64);  // a small buffer: lines cross buffer boundaries
  Reads r;
  r.lines.push_back(co_await s.read_line());
  r.lines.push_back(co_await s.read_line());
  r.exact = co_await s.read_exact(5);
  r.tail = co_await s.read_line();            // no '\n' before the end: what is left
  r.lines.push_back(co_await s.read_line());  // clean end: empty
  close_fd(fd);
  co_return r;
}

TEST(AioStream, LinesAndExactReadsAcrossPieces) {
  test::Listener l;
  std::string long_line(150, 'z');
  auto [served, r] =
      run(gather(serve_script(l.fd, {"hel", "lo\n" + long_line, "\nABC", "DEtail"}), read_script(l)));
  (void)served;
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[0], "hello\n");
  EXPECT_EQ(r.lines[1], long_line + "\n");
  EXPECT_EQ(r.exact, "ABCDE");
  EXPECT_EQ(r.tail, "tail");
  EXPECT_EQ(r.lines[2], "");
}

Task<std::error_code> read_too_much(const test::Listener& l, bool line) {
  int fd = test::tcp_socket();
  co_await aio::sock_connect(fd, l.addr(), sizeof l.address);
  Stream s(fd);
  std::error_code ec;
  try {
    if (line) {
      co_await s.read_line(10);
    } else {
      co_await s.read_exact(100);
    }
  } catch (const std::system_error& e) {
    ec = e.code();
  }
  close_fd(fd);
  co_return ec;
}

TEST(AioStream, ReadExactAtEndOfStreamIsUnexpectedEof) {
  test::Listener l;
  auto [served, ec] = run(gather(serve_script(l.fd, {"short"}), read_too_much(l, false)));
  (void)served;
  EXPECT_EQ(ec, make_error_code(Errc::unexpected_eof));
}

TEST(AioStream, AnOverlongLineIsRefused) {
  test::Listener l;
  auto [served, ec] =
      run(gather(serve_script(l.fd, {"this line is far too long\n"}), read_too_much(l, true)));
  (void)served;
  EXPECT_EQ(ec, make_error_code(Errc::limit_exceeded));
}

Task<std::string> echo_via_stream(const test::Listener& l) {
  int server_fd = -1;
  auto accepted = spawn(sock_accept(l.fd));
  int fd = test::tcp_socket();
  co_await aio::sock_connect(fd, l.addr(), sizeof l.address);
  server_fd = co_await accepted;
  Stream client(fd), server(server_fd);
  co_await client.write("ping\n");
  std::string line = co_await server.read_line();
  co_await server.write("re: " + line);
  std::string reply = co_await client.read_line(64, 1s);
  close_fd(fd);
  close_fd(server_fd);
  co_return reply;
}

TEST(AioStream, WriteAndReadBothWays) {
  test::Listener l;
  EXPECT_EQ(run(echo_via_stream(l)), "re: ping\n");
}

}  // namespace
}  // namespace fern::aio
