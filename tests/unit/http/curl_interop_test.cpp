// The codec against a real HTTP client: a minimal blocking server (one thread, POSIX sockets on
// 127.0.0.1) parses with RequestParser and answers with the serializer, and /usr/bin/curl talks to
// it: keep-alive reuse across URLs, chunked responses with trailers, HEAD, HTTP/1.0, uploads with
// Content-Length, chunked and Expect: 100-continue, and the 4xx answers to oversized requests.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fern/http/date.hpp>
#include <fern/http/request_parser.hpp>
#include <fern/http/response_parser.hpp>
#include <fern/http/serializer.hpp>

extern char** environ;

namespace fern::http {
namespace {

constexpr const char* kCurl = "/usr/bin/curl";
constexpr int kIoTimeoutMs = 10000;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    if (!wait_fd(fd, POLLOUT, kIoTimeoutMs)) return false;
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// FNV-1a, so an upload can be checked without keeping it.
std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}
constexpr std::uint64_t kFnvSeed = 14695981039346656037ull;

// One request as the server saw it.
struct Seen {
  std::string method, target;
  Version version;
  std::size_t body_bytes = 0;
  std::size_t largest_piece = 0;
  bool chunked = false;
  bool expected_continue = false;
};

class BlockingServer {
 public:
  explicit BlockingServer(ParserLimits limits = {})
      : limits_(limits), listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 ||
        ::listen(listener_.get(), 16) < 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len) < 0) {
      throw std::system_error(errno, std::system_category(), "test server listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~BlockingServer() {
    stop_ = true;
    thread_.join();
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int connections() const { return connections_; }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      if (!wait_fd(listener_.get(), POLLIN, 50)) continue;
      Fd client(::accept(listener_.get(), nullptr, nullptr));
      if (client.get() < 0) continue;
      ++connections_;
      serve(client.get());
    }
  }

  // Reads, parses and answers until the connection ends; one connection at a time is enough here.
  void serve(int fd) {
    RequestParser parser(limits_);
    Seen current;
    std::uint64_t hash = kFnvSeed;
    for (;;) {
      switch (parser.next_event()) {
        case ParseEvent::need_data: {
          if (!wait_fd(fd, POLLIN, kIoTimeoutMs)) return;
          std::span<char> room = parser.prepare(16384);
          ssize_t n = ::recv(fd, room.data(), room.size(), 0);
          if (n < 0) return;
          parser.commit(static_cast<std::size_t>(n));
          if (n == 0) parser.feed_eof();
          break;
        }
        case ParseEvent::headers_complete: {
          RequestHead r = parser.request();
          current = {std::string(r.method), std::string(r.target), r.version};
          current.chunked = parser.body_kind() == BodyKind::chunked;
          current.expected_continue = parser.expects_continue();
          hash = kFnvSeed;
          if (parser.expects_continue()) {
            std::string interim;
            write_response_head(interim, {.status = 100, .body = BodyKind::none});
            if (!send_all(fd, interim)) return;
          }
          break;
        }
        case ParseEvent::body:
          current.body_bytes += parser.body().size();
          current.largest_piece = std::max(current.largest_piece, parser.body().size());
          hash = fnv1a(hash, parser.body());
          break;
        case ParseEvent::message_complete: {
          {
            std::lock_guard lock(mutex_);
            seen_.push_back(current);
          }
          std::string out;
          respond(out, current, hash, parser.keep_alive());
          if (!send_all(fd, out) || !parser.keep_alive()) return;
          break;
        }
        case ParseEvent::closed: return;
        case ParseEvent::error: {
          std::string out;
          write_response(out, parser.error_status(), {{"Connection", "close"}},
                         parser.error().message() + "\n");
          if (send_all(fd, out)) linger_close(fd);
          return;
        }
      }
    }
  }

  // Closing with unread request bytes makes the kernel send RST, which can destroy the error response
  // before the client reads it; so stop sending, and read until the client closes (bounded).
  static void linger_close(int fd) {
    ::shutdown(fd, SHUT_WR);
    char sink[16384];
    for (std::size_t total = 0; total < (4u << 20) && wait_fd(fd, POLLIN, 2000);) {
      ssize_t n = ::recv(fd, sink, sizeof sink, 0);
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
  }

  void respond(std::string& out, const Seen& req, std::uint64_t hash, bool keep_alive) {
    const std::string date(dates_.now());
    const HeaderField close{"Connection", "close"};
    const HeaderField base[] = {{"Date", date}, {"Server", "fern-test"}, close};
    const Headers fields(std::span(base, keep_alive ? 2 : 3));
    if (req.target == "/hello") {
      if (req.method == "HEAD") {
        write_response_head(out, {.status = 200, .headers = fields, .content_length = 6});
      } else {
        write_response(out, 200, fields, "hello\n");
      }
    } else if (req.target == "/chunked") {
      write_response_head(out, {.status = 200, .headers = fields, .body = BodyKind::chunked});
      for (const char* piece : {"one\n", "two\n", "three\n"}) write_chunk(out, piece);
      write_last_chunk(out, {{"X-Pieces", "3"}});
    } else if (req.target == "/upload") {
      write_response(out, 200, fields, std::to_string(req.body_bytes) + " " + std::to_string(hash) + "\n");
    } else {
      write_response(out, 404, fields, "no such page\n");
    }
  }

  ParserLimits limits_;
  Fd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<Seen> seen_;
  HttpDateCache dates_;
  std::thread thread_;
};

// Runs curl with `args` and returns its standard output; fails the test on a non-zero exit.
std::string run_curl(std::vector<std::string> args) {
  args.insert(args.begin(), {kCurl, "--silent", "--show-error", "--max-time", "30"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) < 0) throw std::system_error(errno, std::system_category(), "pipe");
  Fd read_end(out[0]), write_end(out[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  pid_t pid;
  int rc = ::posix_spawn(&pid, kCurl, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::system_category(), "posix_spawn curl");
  write_end = Fd();
  std::string output;
  char buffer[65536];
  // curl's own --max-time bounds this loop; the poll timeout is a second guard.
  while (wait_fd(read_end.get(), POLLIN, 60000)) {
    ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "curl exit status " << status;
  return output;
}

class CurlInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kCurl, X_OK) != 0)
      GTEST_SKIP() << kCurl << " is not installed; the curl interop tests need it";
  }
};

TEST_F(CurlInterop, KeepAliveReusesOneConnectionForTwoUrls) {
  BlockingServer server;
  EXPECT_EQ(run_curl({server.url("/hello"), server.url("/chunked")}), "hello\none\ntwo\nthree\n");
  EXPECT_EQ(server.connections(), 1) << "curl must reuse the kept-alive connection";
  ASSERT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[1].target, "/chunked");
}

TEST_F(CurlInterop, ChunkedResponseWithTrailers) {
  BlockingServer server;
  const std::string out = run_curl({"--include", server.url("/chunked")});
  EXPECT_NE(out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
  // curl prints the decoded body and then the trailer fields.
  EXPECT_NE(out.find("\r\n\r\none\ntwo\nthree\nX-Pieces: 3\r\n"), std::string::npos) << out;
}

TEST_F(CurlInterop, HeadAndHttp10AndNotFound) {
  BlockingServer server;
  const std::string head = run_curl({"--head", server.url("/hello")});
  EXPECT_NE(head.find("Content-Length: 6\r\n"), std::string::npos) << head;
  EXPECT_EQ(run_curl({"--http1.0", server.url("/hello")}), "hello\n");
  EXPECT_EQ(run_curl({"--write-out", " %{http_code}", server.url("/missing")}), "no such page\n 404");
  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "HEAD");
  EXPECT_EQ(seen[1].version, kHttp10);
  EXPECT_EQ(server.connections(), 3);
}

class Upload : public CurlInterop {
 protected:
  void SetUp() override {
    CurlInterop::SetUp();
    if (IsSkipped()) return;
    char name[] = "/tmp/fern_http_upload_XXXXXX";
    int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    path_ = name;
    data_.resize(3 << 20);
    for (std::size_t i = 0; i < data_.size(); ++i)
      data_[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    ASSERT_EQ(::write(fd, data_.data(), data_.size()), static_cast<ssize_t>(data_.size()));
    ::close(fd);
  }
  void TearDown() override {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  std::string expected_reply() const {
    return std::to_string(data_.size()) + " " + std::to_string(fnv1a(kFnvSeed, data_)) + "\n";
  }
  std::string path_;
  std::string data_;
};

TEST_F(Upload, ContentLengthBodyStreamsWithExpectContinue) {
  BlockingServer server;
  EXPECT_EQ(run_curl({"--data-binary", "@" + path_, server.url("/upload")}), expected_reply());
  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_FALSE(seen[0].chunked);
  EXPECT_TRUE(seen[0].expected_continue) << "curl asks for 100-continue above 1 MiB";
  EXPECT_LE(seen[0].largest_piece, 16384u) << "the body arrives in pieces, never whole";
}

TEST_F(Upload, ChunkedRequestBody) {
  BlockingServer server;
  EXPECT_EQ(run_curl({"--header", "Transfer-Encoding: chunked", "--header", "Expect:", "--data-binary",
                      "@" + path_, server.url("/upload")}),
            expected_reply());
  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].chunked);
  EXPECT_LE(seen[0].largest_piece, 16384u);
}

TEST_F(CurlInterop, OversizedRequestsGetTheirStatus) {
  ParserLimits limits;
  limits.max_start_line = 1024;
  limits.max_header_block = 4096;
  limits.max_body = 100;
  BlockingServer server(limits);
  const std::string code = "%{http_code}";
  EXPECT_EQ(
      run_curl({"--output", "/dev/null", "--write-out", code, server.url("/" + std::string(2000, 'u'))}),
      "414");
  EXPECT_EQ(run_curl({"--output", "/dev/null", "--write-out", code, "--header",
                      "X-Big: " + std::string(5000, 'h'), server.url("/hello")}),
            "431");
  EXPECT_EQ(run_curl({"--output", "/dev/null", "--write-out", code, "--data-binary", std::string(101, 'b'),
                      server.url("/upload")}),
            "413");
  EXPECT_EQ(run_curl({"--write-out", " %{http_code}", "--data-binary", std::string(100, 'b'),
                      server.url("/upload")}),
            "100 " + std::to_string(fnv1a(kFnvSeed, std::string(100, 'b'))) + "\n 200");
}

// The error path without curl, which never sends a malformed request: a raw socket does.
TEST_F(CurlInterop, MalformedRequestGetsAClearErrorAndClose) {
  BlockingServer server;
  const std::string port = server.url("").substr(17);
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_TRUE(send_all(
      fd.get(), "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ResponseParser p;
  ParseEvent e;
  std::string body;
  while ((e = p.next_event()) != ParseEvent::closed && e != ParseEvent::error) {
    if (e == ParseEvent::body) body += p.body();
    if (e == ParseEvent::headers_complete) {
      EXPECT_EQ(p.response().status, 400);
      EXPECT_FALSE(p.keep_alive());
    }
    if (e != ParseEvent::need_data) continue;
    ASSERT_TRUE(wait_fd(fd.get(), POLLIN, kIoTimeoutMs));
    char buffer[4096];
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    ASSERT_GE(n, 0);
    if (n == 0) p.feed_eof();
    p.feed({buffer, static_cast<std::size_t>(n)});
  }
  EXPECT_EQ(e, ParseEvent::closed);
  EXPECT_EQ(body, "both Content-Length and Transfer-Encoding\n");
}

}  // namespace
}  // namespace fern::http
