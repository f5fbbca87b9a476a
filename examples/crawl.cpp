// crawl: fetch a few pages one after the other, then all at once with one greenlet each, and compare.
// The fetching code is the same plain sequential call (client.get) both times; only spawn + joinall
// differ. While one greenlet waits for its server, the hub runs the others, so the concurrent run
// takes about as long as the slowest page and the serial run about as long as all of them together.
//
//   crawl URL...      fetch the URLs serially, then concurrently; print each page and both times
//   crawl --demo      the same against a small delay server started in this process, whose pages
//                     /delay/<ms> answer after <ms> milliseconds (300, 200, 500 and 100 ms)
//
// Output, one line per page and phase, then the summary:
//   serial     200      12 B  http://127.0.0.1:41235/delay/300  (301 ms)
//   ...
//   serial 1104 ms (sum of delays 1100 ms), concurrent 502 ms (slowest 500 ms)
//   requests in flight at once: serial 1, concurrent 4
// The last line is counted by the demo server, so it shows the overlap without trusting a clock.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/http/client.hpp"
#include "fern/http/request_parser.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"

namespace {

using Ms = std::chrono::milliseconds;

long elapsed_ms(fern::TimePoint since) {
  return static_cast<long>(std::chrono::duration_cast<Ms>(fern::Clock::now() - since).count());
}

// --- the demo's delay server: GET /delay/<ms> answers "slept <ms> ms" after <ms> milliseconds

class DelayServer {
 public:
  DelayServer() : listener_(fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0))) {
    port_ = listener_.local_address().port();
    acceptor_ = fern::spawn([this] { accept_loop(); });
  }
  ~DelayServer() {
    listener_.close();
    acceptor_->kill();
    fern::killall(connections_);
  }
  std::string url(long ms) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/delay/" + std::to_string(ms);
  }
  // The most requests that were being served at the same moment since the last reset.
  int max_in_flight() const { return max_in_flight_; }
  void reset_count() { max_in_flight_ = in_flight_; }

 private:
  void accept_loop() {
    for (;;) {
      std::error_code ec;
      fern::net::Socket peer = listener_.accept(nullptr, ec);
      if (ec) return;
      peer.set_nodelay();
      connections_.push_back(fern::spawn([this](fern::net::Socket s) { serve(s); }, std::move(peer)));
    }
  }

  // One keep-alive connection: read a request, sleep as asked, answer; until the client closes.
  void serve(fern::net::Socket& s) {
    fern::http::RequestParser parser;
    for (;;) {
      fern::http::ParseEvent event = parser.next_event();
      if (event == fern::http::ParseEvent::need_data) {
        auto room = parser.prepare(4096);
        std::error_code ec;
        std::size_t n = s.recv(room.data(), room.size(), ec);
        parser.commit(ec ? 0 : n);
        if (ec || n == 0) parser.feed_eof();
      } else if (event == fern::http::ParseEvent::message_complete) {
        answer(s, parser);
      } else if (event != fern::http::ParseEvent::headers_complete && event != fern::http::ParseEvent::body) {
        return;  // closed, or a malformed request
      }
    }
  }

  void answer(fern::net::Socket& s, const fern::http::RequestParser& parser) {
    std::string_view target = parser.request().target;
    long ms =
        target.starts_with("/delay/") ? std::strtol(std::string(target.substr(7)).c_str(), nullptr, 10) : 0;
    ++in_flight_;
    if (in_flight_ > max_in_flight_) max_in_flight_ = in_flight_;
    fern::sleep(Ms(ms));
    --in_flight_;
    std::string body = "slept " + std::to_string(ms) + " ms";
    s.send_all("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  }

  fern::net::Socket listener_;
  std::uint16_t port_ = 0;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  fern::GreenletRef<> acceptor_;
  std::vector<fern::GreenletRef<>> connections_;
};

// --- the crawl itself

struct Page {
  std::string url;
  int status = 0;
  std::size_t bytes = 0;
  long ms = 0;
  std::string error;
};

Page fetch(fern::http::Client& client, const std::string& url) {
  Page page{.url = url};
  fern::TimePoint start = fern::Clock::now();
  try {
    fern::http::ClientResponse r = client.get(url);
    page.status = r.status;
    page.bytes = r.body.size();
  } catch (const std::exception& e) {
    page.error = e.what();
  }
  page.ms = elapsed_ms(start);
  return page;
}

void print(const char* phase, const Page& p) {
  if (p.error.empty()) {
    std::printf("%-10s %3d %7zu B  %s  (%ld ms)\n", phase, p.status, p.bytes, p.url.c_str(), p.ms);
  } else {
    std::printf("%-10s ERR  %s  (%ld ms): %s\n", phase, p.url.c_str(), p.ms, p.error.c_str());
  }
}

// Fetches every URL, one after the other; returns the wall time in ms.
long crawl_serially(const std::vector<std::string>& urls) {
  fern::http::Client client;
  fern::TimePoint start = fern::Clock::now();
  for (const std::string& url : urls) print("serial", fetch(client, url));
  return elapsed_ms(start);
}

// Fetches every URL in a greenlet of its own, all through one Client; returns the wall time in ms.
long crawl_concurrently(const std::vector<std::string>& urls) {
  fern::http::Client client;
  fern::TimePoint start = fern::Clock::now();
  std::vector<fern::GreenletRef<>> greenlets;
  std::vector<Page> pages(urls.size());
  for (std::size_t i = 0; i < urls.size(); ++i)
    greenlets.push_back(fern::spawn([&, i] { pages[i] = fetch(client, urls[i]); }));
  fern::joinall(greenlets);
  long ms = elapsed_ms(start);
  for (const Page& p : pages) print("concurrent", p);
  return ms;
}

int run_demo() {
  const std::vector<long> delays = {300, 200, 500, 100};
  DelayServer server;
  std::vector<std::string> urls;
  long sum = 0, slowest = 0;
  for (long d : delays) {
    urls.push_back(server.url(d));
    sum += d;
    slowest = std::max(slowest, d);
  }
  long serial = crawl_serially(urls);
  int serial_in_flight = server.max_in_flight();
  server.reset_count();
  long concurrent = crawl_concurrently(urls);
  std::printf("serial %ld ms (sum of delays %ld ms), concurrent %ld ms (slowest %ld ms)\n", serial, sum,
              concurrent, slowest);
  std::printf("requests in flight at once: serial %d, concurrent %d\n", serial_in_flight,
              server.max_in_flight());
  return serial_in_flight == 1 && server.max_in_flight() == static_cast<int>(delays.size()) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> urls(argv + 1, argv + argc);
  if (urls.size() == 1 && urls[0] == "--demo") return run_demo();
  if (urls.empty() || urls[0].starts_with("-")) {
    std::fprintf(stderr, "usage: %s URL... | --demo\n", argv[0]);
    return 2;
  }
  long serial = crawl_serially(urls);
  long concurrent = crawl_concurrently(urls);
  std::printf("serial %ld ms, concurrent %ld ms\n", serial, concurrent);
  return 0;
}
