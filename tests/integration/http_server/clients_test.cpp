// fern::http::Server driven by real clients. The server runs on a thread of its own (its own hub);
// the test thread runs curl and wrk as child processes and reads what they print.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "fern/http/server.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/address.hpp"

namespace fern::http {
namespace {

using namespace std::chrono_literals;

// FNV-1a of a body, so a large upload is checked without echoing it.
std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}
constexpr std::uint64_t kFnvSeed = 14695981039346656037ull;

void handle(ServerRequest& req, ResponseWriter& w) {
  if (req.path() == "/upload") {
    std::uint64_t hash = kFnvSeed, size = 0;
    for (std::string_view piece = req.read_some(); !piece.empty(); piece = req.read_some()) {
      hash = fnv1a(hash, piece);
      size += piece.size();
    }
    w.send(200, "size=" + std::to_string(size) + " fnv=" + std::to_string(hash) + "\n");
  } else if (req.path() == "/echo") {
    w.send(200, req.read_body());
  } else if (req.path() == "/stream") {
    w.write_head(200, {{"Content-Type", "text/plain"}});
    for (int i = 0; i < 5; ++i) w.write("line " + std::to_string(i) + "\n");
    w.finish();
  } else {
    w.send(200, "hello");
  }
}

// The server on its own thread; stopped (gracefully) by the destructor.
class ServerThread {
 public:
  ServerThread() {
    std::promise<int> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, &port] {
      Server server(net::Address::ipv4_loopback(0), Server::StreamingHandler(handle));
      server.start();
      remote_ = Hub::current().remote();
      server_ = &server;
      port.set_value(server.port());
      server.serve_forever();
    });
    port_ = ready.get();
  }
  ~ServerThread() {
    remote_.call([this] { spawn([this] { server_->stop(5s); }); });
    thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::thread thread_;
  RemoteHub remote_;
  Server* server_ = nullptr;
  int port_ = 0;
};

// Runs a shell command; returns its stdout and stderr together.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, p)) out.append(buffer, n);
  ::pclose(p);
  return out;
}

std::string curl(const std::string& args) {
  return run(std::string(FERN_CURL_CLI) + " -sS --max-time 30 " + args);
}

TEST(HttpServerClients, CurlGetReusesTheConnection) {
  ServerThread server;
  EXPECT_EQ(curl(server.url("/a") + " " + server.url("/b")), "hellohello");
  std::string out = curl("-v -o /dev/null " + server.url("/a") + " -o /dev/null " + server.url("/b"));
  EXPECT_NE(out.find("Re-using existing connection"), std::string::npos) << out;
  EXPECT_NE(out.find("< Server: fern"), std::string::npos) << out;
}

TEST(HttpServerClients, CurlPostsWithContentLength) {
  ServerThread server;
  EXPECT_EQ(curl("--data-binary 'some form data' " + server.url("/echo")), "some form data");
}

TEST(HttpServerClients, CurlUploadsChunkedAndWithExpectContinue) {
  ServerThread server;
  const std::string file = "/tmp/fern-http-server-upload-" + std::to_string(::getpid());
  std::string data;
  for (int i = 0; data.size() < (3u << 20); ++i) data += "block " + std::to_string(i) + "\n";
  {
    FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(data.data(), 1, data.size(), f);
    std::fclose(f);
  }
  const std::string expected =
      "size=" + std::to_string(data.size()) + " fnv=" + std::to_string(fnv1a(kFnvSeed, data)) + "\n";
  // Over 1 MiB curl sends "Expect: 100-continue" and waits for the server's 100.
  std::string with_length = curl("-v --data-binary @" + file + " " + server.url("/upload"));
  EXPECT_NE(with_length.find(expected), std::string::npos) << with_length.substr(0, 2000);
  EXPECT_NE(with_length.find("HTTP/1.1 100 Continue"), std::string::npos);
  std::string chunked =
      curl("-H 'Transfer-Encoding: chunked' --data-binary @" + file + " " + server.url("/upload"));
  EXPECT_EQ(chunked, expected);
  std::remove(file.c_str());
}

TEST(HttpServerClients, CurlReadsAChunkedResponseHeadAndHttp10) {
  ServerThread server;
  EXPECT_EQ(curl(server.url("/stream")), "line 0\nline 1\nline 2\nline 3\nline 4\n");
  std::string head = curl("-I " + server.url("/"));
  EXPECT_NE(head.find("Content-Length: 5"), std::string::npos) << head;
  EXPECT_EQ(curl("--http1.0 " + server.url("/stream")), "line 0\nline 1\nline 2\nline 3\nline 4\n");
}

TEST(HttpServerClients, WrkRunsWithoutErrors) {
  ServerThread server;
  std::string out = run(std::string(FERN_WRK_CLI) + " -t1 -c20 -d2s " + server.url("/"));
  EXPECT_NE(out.find("requests in"), std::string::npos) << out;
  EXPECT_EQ(out.find("Socket errors"), std::string::npos) << out;
  EXPECT_EQ(out.find("Non-2xx"), std::string::npos) << out;
}

TEST(HttpServerClients, WrkPipelinedRunsWithoutErrors) {
  ServerThread server;
  const std::string script = "/tmp/fern-http-server-pipeline-" + std::to_string(::getpid()) + ".lua";
  {
    FILE* f = std::fopen(script.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "init = function(args)\n  local r = {}\n  for i = 1, 16 do r[i] = wrk.format(nil, '/') end\n"
        "  req = table.concat(r)\nend\nrequest = function() return req end\n",
        f);
    std::fclose(f);
  }
  std::string out = run(std::string(FERN_WRK_CLI) + " -t1 -c10 -d2s -s " + script + " " + server.url("/"));
  std::remove(script.c_str());
  EXPECT_NE(out.find("requests in"), std::string::npos) << out;
  EXPECT_EQ(out.find("Socket errors"), std::string::npos) << out;
  EXPECT_EQ(out.find("Non-2xx"), std::string::npos) << out;
}

}  // namespace
}  // namespace fern::http
