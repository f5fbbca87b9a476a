// fern's TLS against the reference implementations: the fern client talks to `openssl s_server`,
// and curl talks to the fern server (HTTP/1.1 over TLS, 8 MiB each way), with verification on.
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/stream.hpp"
#include "fern/net/tls_stream.hpp"
#include "servers.hpp"
#include "test_pki.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;
constexpr Duration kPatience = 30s;  // only keeps a broken peer from hanging the test

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class TlsInterop : public ::testing::Test {
 protected:
  fern_test::TestPki pki;
  fern_test::TestPki::Issued localhost = pki.issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1");
  fern_test::TestPki::Issued expired =
      pki.issue("expired", "localhost", "DNS:localhost,IP:127.0.0.1", -86400 * 10, -86400);

  // openssl s_server answering "GET /" with its status page, presenting `issued`.
  std::unique_ptr<fern_test::ChildProcess> start_s_server(const fern_test::TestPki::Issued& issued,
                                                          int port) {
    auto server = std::make_unique<fern_test::ChildProcess>(
        std::vector<std::string>{FERN_OPENSSL_CLI, "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                 "-cert", issued.certificate, "-key", issued.key, "-www", "-alpn",
                                 "h2,http/1.1"},
        pki.file("s_server.log"));
    if (!fern_test::wait_for_port(port, fern_test::kStartPatience))
      throw std::runtime_error("openssl s_server did not start:\n" + server->log());
    return server;
  }

  // Runs curl to the end while the hub serves; returns its stdout and stderr.
  std::string run_curl(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), FERN_CURL_CLI);
    fern_test::ChildProcess curl(std::move(arguments), pki.file("curl.log"));
    const TimePoint deadline = deadline_after(kPatience);
    while (curl.running() && Clock::now() < deadline) fern::sleep(5ms);
    return curl.log();
  }
};

TEST_F(TlsInterop, FernClientAgainstOpensslServer) {
  const int port = fern_test::free_port();
  auto server = start_s_server(localhost, port);
  TlsContext context = TlsContext::client(pki.ca_file());
  context.set_alpn_protocols({"http/1.1"});
  TlsSocket tls = tls_connect("localhost", static_cast<std::uint16_t>(port), context, kPatience);
  EXPECT_EQ(tls.alpn_protocol(), "http/1.1");
  EXPECT_EQ(tls.peer_subject(), "CN=localhost,O=fern");
  Stream stream(std::make_unique<TlsSocket>(std::move(tls)));
  stream.write("GET / HTTP/1.0\r\n\r\n");
  stream.flush();
  std::string page;
  while (true) {
    std::string line = stream.read_line();
    if (line.empty()) break;
    page += line;
  }
  EXPECT_EQ(page.rfind("HTTP/1.0 200 ok", 0), 0u) << page;
  EXPECT_NE(page.find("TLSv1.3"), std::string::npos) << page;
}

TEST_F(TlsInterop, FernClientRefusesOpensslServersExpiredCertificate) {
  const int port = fern_test::free_port();
  auto server = start_s_server(expired, port);
  try {
    tls_connect("localhost", static_cast<std::uint16_t>(port), TlsContext::client(pki.ca_file()), kPatience);
    FAIL() << "an expired certificate was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(X509_V_ERR_CERT_HAS_EXPIRED, tls_verify_category())) << e.what();
  }
}

// A minimal HTTP/1.1 server: answers each request with its body (or "hello" when it has none).
void serve_http(Socket& listener, const TlsContext& context, int connections,
                std::vector<std::string>& seen) {
  for (int i = 0; i < connections; ++i) {
    std::error_code ec;
    TlsSocket tls = TlsSocket::accept(listener.accept(), context, kPatience, ec);
    if (ec) {
      seen.push_back("handshake: " + ec.message());
      continue;
    }
    seen.push_back(tls.server_name() + " " + tls.alpn_protocol());
    Stream stream(std::make_unique<TlsSocket>(std::move(tls)));
    std::size_t length = 0;
    for (std::string line = stream.read_line(); line != "\r\n" && !line.empty(); line = stream.read_line()) {
      if (line.rfind("Content-Length:", 0) == 0) length = std::stoul(line.substr(15));
    }
    std::string body = length ? stream.read_exact(length) : "hello";
    stream.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\nConnection: close\r\n\r\n");
    stream.write(body);
    stream.flush();
    stream.transport().shutdown_write(ec);
  }
}

TEST_F(TlsInterop, CurlAgainstFernServer) {
  TlsContext context = TlsContext::server(localhost.certificate, localhost.key);
  context.set_alpn_protocols({"http/1.1"});
  Socket listener = listen_tcp(Address::ipv4_loopback());
  const std::string url = "https://localhost:" + std::to_string(listener.local_address().port()) + "/";
  std::vector<std::string> seen;
  auto server = spawn([&] { serve_http(listener, context, 2, seen); });

  std::string log = run_curl({"-sS", "--cacert", pki.ca_file(), "-o", pki.file("small.out"), "-w",
                              "version=%{http_version}\n", url});
  EXPECT_EQ(read_file(pki.file("small.out")), "hello") << log;
  EXPECT_NE(log.find("version=1.1"), std::string::npos) << log;

  std::string upload(8 << 20, '\0');
  for (std::size_t i = 0; i < upload.size(); ++i) upload[i] = static_cast<char>(i * 131 + i / 4099);
  std::ofstream(pki.file("upload.bin"), std::ios::binary) << upload;
  log = run_curl({"-sS", "--cacert", pki.ca_file(), "-H", "Expect:", "--data-binary",
                  "@" + pki.file("upload.bin"), "-o", pki.file("echo.out"), url});
  EXPECT_TRUE(read_file(pki.file("echo.out")) == upload) << log;

  server.get(kPatience);
  EXPECT_EQ(seen, (std::vector<std::string>{"localhost http/1.1", "localhost http/1.1"}));
}

TEST_F(TlsInterop, CurlRefusesAnUntrustedFernServer) {
  TlsContext context = TlsContext::server(localhost.certificate, localhost.key);
  Socket listener = listen_tcp(Address::ipv4_loopback());
  const std::string url = "https://localhost:" + std::to_string(listener.local_address().port()) + "/";
  std::vector<std::string> seen;
  auto server = spawn([&] { serve_http(listener, context, 1, seen); });
  // No --cacert: curl trusts only the system store, which knows nothing of this run's CA.
  std::string log = run_curl({"-sS", "-o", pki.file("refused.out"), url});
  EXPECT_NE(log.find("SSL certificate problem"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(pki.file("refused.out")));
  server.get(kPatience);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].rfind("handshake: ", 0), 0u) << seen[0];
}

}  // namespace
}  // namespace fern::net
