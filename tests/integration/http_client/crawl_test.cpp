// The crawl example (L3) shows what it claims, checked by structure rather than by clock: a delay
// server in this test counts how many requests it is serving at the same moment, and the crawl's
// concurrent phase must have all of its URLs in flight at once while its serial phase never has more
// than one. The example runs as a child process; this process waits for it on a pidfd, so the
// test's own server greenlets keep serving meanwhile.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "fern/http/request_parser.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"
#include "servers.hpp"

namespace {

using namespace std::chrono_literals;

// Serves GET /delay/<ms> after <ms> ms; records the requests in flight when each one arrives.
class DelayServer {
 public:
  DelayServer() : listener_(fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0))) {
    acceptor_ = fern::spawn([this] {
      for (;;) {
        std::error_code ec;
        fern::net::Socket peer = listener_.accept(nullptr, ec);
        if (ec) return;
        sessions_.push_back(fern::spawn([this](fern::net::Socket s) { serve(s); }, std::move(peer)));
      }
    });
  }
  ~DelayServer() {
    listener_.close();
    acceptor_->kill();
    fern::killall(sessions_);
  }
  std::string url(int ms) const {
    return "http://127.0.0.1:" + std::to_string(listener_.local_address().port()) + "/delay/" +
           std::to_string(ms);
  }
  std::vector<int> in_flight_at_arrival;

 private:
  void serve(fern::net::Socket& s) {
    fern::http::RequestParser parser;
    for (;;) {
      auto event = parser.next_event();
      if (event == fern::http::ParseEvent::need_data) {
        auto room = parser.prepare(4096);
        std::error_code ec;
        std::size_t n = s.recv(room.data(), room.size(), ec);
        parser.commit(ec ? 0 : n);
        if (ec || n == 0) parser.feed_eof();
      } else if (event == fern::http::ParseEvent::message_complete) {
        int ms = std::stoi(std::string(parser.request().target.substr(7)));
        in_flight_at_arrival.push_back(++in_flight_);
        fern::sleep(std::chrono::milliseconds(ms));
        --in_flight_;
        s.send_all("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      } else if (event != fern::http::ParseEvent::headers_complete) {
        return;
      }
    }
  }

  fern::net::Socket listener_;
  int in_flight_ = 0;
  fern::GreenletRef<> acceptor_;
  std::vector<fern::GreenletRef<>> sessions_;
};

// Runs crawl with `args`, parking this greenlet (not the hub) until it exits; returns its output.
std::string run_crawl(std::vector<std::string> args, int& exit_status) {
  fern_test::TempDir dir("fern-crawl");
  args.insert(args.begin(), FERN_CRAWL_BIN);
  fern_test::ChildProcess child(args, dir.file("out.log"));
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child.pid(), 0));
  if (pidfd < 0) throw std::system_error(errno, std::system_category(), "pidfd_open");
  fern::wait_readable(pidfd, std::chrono::seconds(120));
  fern::close_fd(pidfd);  // through the hub, which may still watch that descriptor number
  exit_status = child.stop();
  return child.log();
}

TEST(CrawlTest, ConcurrentPhaseHasEveryUrlInFlightAtOnce) {
  DelayServer server;
  const std::vector<int> delays = {500, 400, 700, 300};
  std::vector<std::string> urls;
  for (int d : delays) urls.push_back(server.url(d));
  int status = -1;
  std::string out = run_crawl(urls, status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  // Serial: each request arrived alone. Concurrent: the last to arrive found all the others there.
  ASSERT_EQ(server.in_flight_at_arrival.size(), 2 * delays.size()) << out;
  for (std::size_t i = 0; i < delays.size(); ++i) EXPECT_EQ(server.in_flight_at_arrival[i], 1) << out;
  int most = 0;
  for (std::size_t i = delays.size(); i < 2 * delays.size(); ++i)
    most = std::max(most, server.in_flight_at_arrival[i]);
  EXPECT_EQ(most, static_cast<int>(delays.size())) << out;
  EXPECT_NE(out.find("serial "), std::string::npos) << out;
  EXPECT_NE(out.find(", concurrent "), std::string::npos) << out;
  EXPECT_NE(out.find("concurrent 200       2 B  " + server.url(700)), std::string::npos) << out;
}

TEST(CrawlTest, DemoReportsTheOverlapItCounted) {
  int status = -1;
  std::string out = run_crawl({"--demo"}, status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("requests in flight at once: serial 1, concurrent 4"), std::string::npos) << out;
  EXPECT_NE(out.find("(sum of delays 1100 ms)"), std::string::npos) << out;
  EXPECT_NE(out.find("(slowest 500 ms)"), std::string::npos) << out;
}

TEST(CrawlTest, ReportsAnUnreachableUrlAndGoesOn) {
  DelayServer server;
  int status = -1;
  std::string out = run_crawl({server.url(10), "http://127.0.0.1:1/"}, status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("ERR  http://127.0.0.1:1/"), std::string::npos) << out;
  EXPECT_NE(out.find("200       2 B  " + server.url(10)), std::string::npos) << out;
}

}  // namespace
