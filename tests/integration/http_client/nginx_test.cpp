// fern::http::Client against a real nginx: connection reuse seen from the server side (nginx's
// $connection number in a header), redirects nginx makes, static files large enough to arrive in
// many reads, gzip output that nginx sends chunked, request bodies nginx must frame right (or the
// next request on the connection breaks), and nginx closing keep-alive connections on its own
// (keepalive_requests, keepalive_timeout), which the client must survive transparently.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "fern/http/client.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "servers.hpp"

namespace {

using namespace std::chrono_literals;
using fern::http::Client;
using fern::http::ClientRequest;

const char* const kServerBlock = R"(
    add_header X-Conn $connection always;
    location = /hello { return 200 "hello"; }
    location = /r { return 302 /hello; }
    location = /relative { absolute_redirect off; return 301 /hello; }
    location = /echo-method { return 200 "$request_method $content_length $http_transfer_encoding"; }
    location /gz/ { gzip on; gzip_min_length 1; gzip_types text/plain; }
    location /files/ { }
)";

std::string url(const fern_test::NginxServer& nginx, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(nginx.port()) + path;
}

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// Connections in CLOSE_WAIT towards `port` (the server closed, this side has not yet).
int close_wait_connections(int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);
  int count = 0;
  while (std::getline(tcp, line)) {
    unsigned local_port = 0, remote_port = 0, state = 0;
    char local[64], remote[64];
    if (std::sscanf(line.c_str(), "%*d: %63[0-9A-F:] %63[0-9A-F:] %x", local, remote, &state) != 3) continue;
    std::sscanf(std::string(local).substr(9).c_str(), "%x", &local_port);
    std::sscanf(std::string(remote).substr(9).c_str(), "%x", &remote_port);
    if (static_cast<int>(remote_port) == port && state == 0x08) ++count;
  }
  return count;
}

TEST(NginxClientTest, ReusesOneConnectionForSuccessiveRequests) {
  fern_test::NginxServer nginx(kServerBlock);
  Client client;
  std::set<std::string> connections;
  for (int i = 0; i < 5; ++i) {
    auto r = client.get(url(nginx, "/hello"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    connections.insert(std::string(r.headers.get("x-conn").value_or("?")));
  }
  EXPECT_EQ(connections.size(), 1u);
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(NginxClientTest, FollowsNginxRedirects) {
  fern_test::NginxServer nginx(kServerBlock);
  Client client;
  for (const char* path : {"/r", "/relative"}) {
    auto r = client.get(url(nginx, path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "hello") << path;
    EXPECT_EQ(r.redirects, 1) << path;
    EXPECT_EQ(r.url, url(nginx, "/hello"));
  }
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(NginxClientTest, DownloadsLargeStaticFilesWholeAndStreamed) {
  fern_test::NginxServer nginx(kServerBlock);
  std::filesystem::create_directories(nginx.www_dir() + "/files");
  const std::string big = pattern(5 * 1024 * 1024 + 13);
  write_file(nginx.www_dir() + "/files/big.bin", big);
  Client client;
  auto r = client.get(url(nginx, "/files/big.bin"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big);

  auto s = client.open({.url = url(nginx, "/files/big.bin")});
  std::size_t total = 0, pieces = 0;
  bool same = true;
  for (std::string_view piece; !(piece = s.read_some()).empty(); ++pieces) {
    same = same && piece == std::string_view(big).substr(total, piece.size());
    total += piece.size();
  }
  EXPECT_EQ(total, big.size());
  EXPECT_TRUE(same);
  EXPECT_GT(pieces, 10u);

  auto head = client.head(url(nginx, "/files/big.bin"));
  EXPECT_EQ(head.headers.get("content-length"), std::to_string(big.size()));
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(client.get(url(nginx, "/files/missing")).status, 404);
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(NginxClientTest, ReadsChunkedGzipOutput) {
  fern_test::NginxServer nginx(kServerBlock);
  std::filesystem::create_directories(nginx.www_dir() + "/gz");
  write_file(nginx.www_dir() + "/gz/page.txt", pattern(200 * 1024));
  Client client;
  ClientRequest request{.url = url(nginx, "/gz/page.txt")};
  request.headers.add("Accept-Encoding", "gzip");
  auto r = client.request(request);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("transfer-encoding"), "chunked");
  EXPECT_EQ(r.headers.get("content-encoding"), "gzip");
  ASSERT_GT(r.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(r.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(r.body[1]), 0x8b);
  EXPECT_EQ(client.get(url(nginx, "/hello")).body, "hello");  // the chunked framing ended right
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(NginxClientTest, SendsBodiesNginxFramesRight) {
  fern_test::NginxServer nginx(kServerBlock);
  Client client;
  EXPECT_EQ(client.post(url(nginx, "/echo-method"), "payload", "text/plain").body, "POST 7 ");
  auto chunked =
      client.request({.method = "POST", .url = url(nginx, "/echo-method"), .body = "abc", .chunked = true});
  EXPECT_TRUE(chunked.body.starts_with("POST ") && chunked.body.ends_with(" chunked")) << chunked.body;
  EXPECT_EQ(
      client.request({.method = "PUT", .url = url(nginx, "/echo-method"), .body = std::string(300000, 'p')})
          .body,
      "PUT 300000 ");
  EXPECT_EQ(client.get(url(nginx, "/echo-method")).body, "GET  ");
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(NginxClientTest, SurvivesKeepaliveRequestsLimit) {
  fern_test::NginxServer nginx(std::string(kServerBlock) + "keepalive_requests 2;");
  Client client;
  std::vector<std::string> connections;
  for (int i = 0; i < 6; ++i) {
    auto r = client.get(url(nginx, "/hello"));
    EXPECT_EQ(r.body, "hello");
    connections.emplace_back(r.headers.get("x-conn").value_or("?"));
  }
  EXPECT_EQ(client.connections_opened(), 3u);  // nginx said "Connection: close" on every second one
  EXPECT_EQ(connections[0], connections[1]);
  EXPECT_NE(connections[1], connections[2]);
}

TEST(NginxClientTest, RetriesWhenNginxClosedTheIdleConnection) {
  fern_test::NginxServer nginx(std::string(kServerBlock) + "keepalive_timeout 1s;");
  Client client;
  auto first = client.get(url(nginx, "/hello"));
  ASSERT_EQ(client.idle_connections(), 1u);
  // Wait (bounded) until nginx has closed the idle connection: our end is then in CLOSE_WAIT.
  for (int i = 0; i < 200 && close_wait_connections(nginx.port()) == 0; ++i) fern::sleep(50ms);
  ASSERT_EQ(close_wait_connections(nginx.port()), 1);
  auto second = client.get(url(nginx, "/hello"));
  EXPECT_EQ(second.body, "hello");
  EXPECT_NE(first.headers.get("x-conn"), second.headers.get("x-conn"));
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(NginxClientTest, ManyGreenletsFetchThroughOneClient) {
  fern_test::NginxServer nginx(kServerBlock);
  Client client;
  constexpr int kGreenlets = 30, kEach = 20;
  int ok = 0;
  std::vector<fern::GreenletRef<>> workers;
  for (int g = 0; g < kGreenlets; ++g) {
    workers.push_back(fern::spawn([&] {
      for (int i = 0; i < kEach; ++i) ok += client.get(url(nginx, "/hello")).body == "hello" ? 1 : 0;
    }));
  }
  fern::joinall(workers, fern::kForever, true);
  EXPECT_EQ(ok, kGreenlets * kEach);
  EXPECT_LE(client.connections_opened(), static_cast<std::uint64_t>(kGreenlets));
}

}  // namespace
