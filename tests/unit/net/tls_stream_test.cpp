// TlsSocket: fern client against fern server in one thread (greenlets), with a CA and certificates
// made at run time. Round trips through Stream, many connections at once, 8 MiB each way at the same
// time, ALPN and SNI, each verification failure with its reason, peers that vanish or stall during
// the handshake, timeouts, close_notify and ragged EOFs, writes to a closed peer without SIGPIPE.
#include "fern/net/tls_stream.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <functional>
#include <string>
#include <vector>

#include "../../integration/tls/test_pki.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/stream.hpp"
#include "fern/sync/event.hpp"

namespace fern::net {
namespace {

using namespace std::chrono_literals;
using Issued = fern_test::TestPki::Issued;
using Handler = std::function<void(TlsSocket&)>;

constexpr Duration kPatience = 20s;  // only keeps a broken test from hanging; never decides a result

class TlsStreamTest : public ::testing::Test {
 protected:
  fern_test::TestPki pki;
  Issued localhost = pki.issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1");
  Issued other = pki.issue("other", "other.test", "DNS:other.test");
  Issued expired = pki.issue("expired", "localhost", "DNS:localhost,IP:127.0.0.1", -86400 * 10, -86400);
  TlsContext server_ctx = TlsContext::server(localhost.certificate, localhost.key);
  TlsContext client_ctx = TlsContext::client(pki.ca_file());
  Socket listener = listen_tcp(Address::ipv4_loopback());
  std::uint16_t port = listener.local_address().port();
  std::vector<std::string> server_errors;

  // Accepts `count` connections, each handshaken and handled in its own greenlet. Handshake errors
  // are collected in server_errors; a handler's exception fails get().
  GreenletRef<> serve(int count, const TlsContext& context, Handler handler) {
    return spawn([this, count, context, handler] {
      std::vector<GreenletRef<>> handlers;
      for (int i = 0; i < count; ++i) {
        Socket accepted = listener.accept();
        handlers.push_back(spawn([this, context, handler, s = std::move(accepted)]() mutable {
          std::error_code ec;
          TlsSocket tls = TlsSocket::accept(std::move(s), context, kPatience, ec);
          if (ec) {
            server_errors.push_back(ec.message());
            return;
          }
          handler(tls);
        }));
      }
      for (auto& h : handlers) h.get();
    });
  }

  TlsSocket connect_as(const std::string& host, const TlsContext& context) {
    Socket s = Socket::tcp();
    s.connect(Address::ipv4_loopback(port), kPatience);
    return TlsSocket::connect(std::move(s), context, host, kPatience);
  }

  // The handshake must fail with `expected`; returns the error's text.
  std::string expect_handshake_failure(const std::string& host, const TlsContext& context,
                                       std::error_code expected) {
    try {
      connect_as(host, context);
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), expected) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "the handshake succeeded";
    return {};
  }
};

void echo(TlsSocket& tls) {
  std::vector<char> buffer(64 * 1024);
  while (std::size_t n = tls.read_some(buffer.data(), buffer.size())) tls.write_all({buffer.data(), n});
  tls.shutdown_write();
}

std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

TEST_F(TlsStreamTest, StreamRoundTripByNameWithVerification) {
  auto server = serve(1, server_ctx, [](TlsSocket& tls) {
    Stream s(std::make_unique<TlsSocket>(std::move(tls)));
    std::string line = s.read_line();
    s.write("echo " + line);
    s.flush();
    EXPECT_EQ(s.read_line(), "");  // close_notify reads as end of stream
  });
  TlsSocket tls = tls_connect("localhost", port, client_ctx, kPatience);
  EXPECT_EQ(tls.protocol_version(), "TLSv1.3");
  EXPECT_FALSE(tls.cipher().empty());
  EXPECT_EQ(tls.peer_subject(), "CN=localhost,O=fern");
  EXPECT_EQ(tls.timeout(), kPatience);
  Stream s(std::make_unique<TlsSocket>(std::move(tls)));
  s.write("hello\n");
  s.flush();
  EXPECT_EQ(s.read_line(), "echo hello\n");
  std::error_code ec;
  s.transport().shutdown_write(ec);
  EXPECT_FALSE(ec) << ec.message();
  server.get();
  EXPECT_TRUE(server_errors.empty());
}

TEST_F(TlsStreamTest, IpLiteralIsVerifiedAgainstIpSubjectAltName) {
  auto server = serve(1, server_ctx, echo);
  TlsSocket tls = connect_as("127.0.0.1", client_ctx);
  tls.write_all("x");
  char c = 0;
  EXPECT_EQ(tls.read_some(&c, 1), 1u);
  EXPECT_EQ(c, 'x');
  EXPECT_EQ(tls.server_name(), "");  // no SNI for an address
  tls.shutdown_write();
  server.get();
}

TEST_F(TlsStreamTest, ManyConcurrentConnections) {
  constexpr int kConnections = 64;
  auto server = serve(kConnections, server_ctx, echo);
  std::vector<GreenletRef<>> clients;
  int answered = 0;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(spawn([&, i] {
      TlsSocket tls = tls_connect("localhost", port, client_ctx, kPatience);
      Stream s(std::make_unique<TlsSocket>(std::move(tls)));
      std::string line = "client " + std::to_string(i) + "\n";
      for (int round = 0; round < 5; ++round) {
        s.write(line);
        s.flush();
        EXPECT_EQ(s.read_line(), line);
      }
      ++answered;
    }));
  }
  for (auto& c : clients) c.get();
  server.get();
  EXPECT_EQ(answered, kConnections);
  EXPECT_TRUE(server_errors.empty());
}

TEST_F(TlsStreamTest, EightMebibytesBothWaysAtOnce) {
  const std::string sent = pattern(8 << 20);
  auto server = serve(1, server_ctx, echo);
  TlsSocket tls = tls_connect("localhost", port, client_ctx, kPatience);
  auto writer = spawn([&] {
    for (std::size_t at = 0; at < sent.size(); at += 100000)
      tls.write_all(std::string_view(sent).substr(at, 100000));
    tls.shutdown_write();
  });
  std::string received;
  std::vector<char> buffer(40000);
  while (std::size_t n = tls.read_some(buffer.data(), buffer.size())) received.append(buffer.data(), n);
  writer.get();
  server.get();
  ASSERT_EQ(received.size(), sent.size());
  EXPECT_TRUE(received == sent);
}

struct AlpnCase {
  std::vector<std::string> offered;
  std::string chosen;
};

TEST_F(TlsStreamTest, AlpnFollowsTheServersPreference) {
  server_ctx.set_alpn_protocols({"h2", "http/1.1"});
  const std::vector<AlpnCase> cases = {
      {{"http/1.1", "h2"}, "h2"}, {{"http/1.1"}, "http/1.1"}, {{"spdy/3"}, ""}, {{}, ""}};
  std::vector<std::string> seen_by_server;
  auto server = serve(static_cast<int>(cases.size()), server_ctx, [&](TlsSocket& tls) {
    seen_by_server.push_back(tls.alpn_protocol());
    echo(tls);
  });
  for (const AlpnCase& c : cases) {
    TlsContext client = TlsContext::client(pki.ca_file());
    client.set_alpn_protocols(c.offered);
    TlsSocket tls = connect_as("localhost", client);
    EXPECT_EQ(tls.alpn_protocol(), c.chosen);
    tls.shutdown_write();
    char byte;
    EXPECT_EQ(tls.read_some(&byte, 1), 0u);
  }
  server.get();
  ASSERT_EQ(seen_by_server.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(seen_by_server[i], cases[i].chosen);
}

TEST_F(TlsStreamTest, ServerSeesSniAndPicksACertificateByIt) {
  TlsContext other_ctx = TlsContext::server(other.certificate, other.key);
  other_ctx.set_alpn_protocols({"other/1"});
  std::vector<std::string> names_in_callback;
  server_ctx.on_server_name([&](std::string_view name) -> std::optional<TlsContext> {
    names_in_callback.emplace_back(name);
    if (name == "other.test") return other_ctx;
    return std::nullopt;
  });
  std::vector<std::string> names;
  auto server = serve(2, server_ctx, [&](TlsSocket& tls) {
    names.push_back(tls.server_name());
    echo(tls);
  });
  {
    TlsSocket tls = connect_as("localhost", client_ctx);
    EXPECT_EQ(tls.peer_subject(), "CN=localhost,O=fern");
    tls.shutdown_write();
  }
  {
    TlsContext client = TlsContext::client(pki.ca_file());
    client.set_alpn_protocols({"other/1"});
    TlsSocket tls = connect_as("other.test", client);
    EXPECT_EQ(tls.peer_subject(), "CN=other.test,O=fern");
    EXPECT_EQ(tls.alpn_protocol(), "other/1");  // the chosen context's ALPN list answered
    tls.shutdown_write();
  }
  server.get();
  EXPECT_EQ(names, (std::vector<std::string>{"localhost", "other.test"}));
  EXPECT_EQ(names_in_callback, names);
}

TEST_F(TlsStreamTest, UnknownCaFailsVerificationWithItsReason) {
  fern_test::TestPki stranger("stranger CA");
  TlsContext client = TlsContext::client(stranger.ca_file());
  auto server = serve(1, server_ctx, echo);
  std::string what = expect_handshake_failure(
      "localhost", client, {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, tls_verify_category()});
  EXPECT_NE(what.find("certificate verify failed"), std::string::npos) << what;
  EXPECT_NE(what.find("unable to get local issuer certificate"), std::string::npos) << what;
  server.get();
  ASSERT_EQ(server_errors.size(), 1u);  // the client's alert reached the server
  EXPECT_NE(server_errors[0].find("unknown ca"), std::string::npos) << server_errors[0];
}

TEST_F(TlsStreamTest, WrongHostFailsVerification) {
  auto server = serve(2, TlsContext::server(other.certificate, other.key), echo);
  std::string what = expect_handshake_failure("localhost", client_ctx,
                                              {X509_V_ERR_HOSTNAME_MISMATCH, tls_verify_category()});
  EXPECT_NE(what.find("hostname mismatch"), std::string::npos) << what;
  EXPECT_NE(what.find("localhost"), std::string::npos) << what;
  expect_handshake_failure("127.0.0.1", client_ctx, {X509_V_ERR_IP_ADDRESS_MISMATCH, tls_verify_category()});
  server.get();
}

TEST_F(TlsStreamTest, ExpiredCertificateFailsVerification) {
  auto server = serve(1, TlsContext::server(expired.certificate, expired.key), echo);
  std::string what =
      expect_handshake_failure("localhost", client_ctx, {X509_V_ERR_CERT_HAS_EXPIRED, tls_verify_category()});
  EXPECT_NE(what.find("certificate has expired"), std::string::npos) << what;
  server.get();
}

TEST_F(TlsStreamTest, VerificationOffAcceptsAnyCertificate) {
  TlsContext trusting(TlsRole::client);
  trusting.set_verify_peer(false);
  auto server = serve(1, TlsContext::server(expired.certificate, expired.key), echo);
  TlsSocket tls = connect_as("", trusting);
  EXPECT_EQ(tls.peer_subject(), "CN=localhost,O=fern");
  tls.shutdown_write();
  server.get();
}

TEST_F(TlsStreamTest, VerifyingWithoutAHostNameIsRefused) {
  Socket s = Socket::tcp();
  s.connect(Address::ipv4_loopback(port), kPatience);
  EXPECT_THROW(TlsSocket::connect(std::move(s), client_ctx, "", kPatience), std::system_error);
}

TEST_F(TlsStreamTest, ServerCanRequireClientCertificates) {
  server_ctx.set_verify_peer(true);
  server_ctx.trust_file(pki.ca_file());
  std::vector<std::string> subjects;
  auto server = serve(2, server_ctx, [&](TlsSocket& tls) {
    subjects.push_back(tls.peer_subject());
    echo(tls);
  });
  TlsContext with_certificate = TlsContext::client(pki.ca_file());
  with_certificate.use_certificate(other.certificate, other.key);
  TlsSocket tls = connect_as("localhost", with_certificate);
  tls.write_all("hi");
  char buffer[2];
  EXPECT_EQ(tls.read_some(buffer, 2), 2u);
  tls.shutdown_write();
  // TLS 1.3 settles client authentication after the client's Finished: the refusal arrives as an
  // alert on the first read.
  TlsSocket anonymous = connect_as("localhost", client_ctx);
  std::error_code ec;
  anonymous.read_some(buffer, 2, ec);
  EXPECT_EQ(ec.category(), tls_category()) << ec.message();
  EXPECT_NE(ec.message().find("certificate required"), std::string::npos) << ec.message();
  server.get();
  EXPECT_EQ(subjects, std::vector<std::string>{"CN=other.test,O=fern"});
  ASSERT_EQ(server_errors.size(), 1u);
}

TEST_F(TlsStreamTest, PeerClosingMidHandshakeIsUnexpectedEof) {
  auto server = spawn([&] {
    Socket s = listener.accept();
    char hello[512];
    EXPECT_GT(s.recv(hello, sizeof hello), 0u);  // part of the ClientHello
    s.shutdown(SHUT_WR);
    s.recv(hello, sizeof hello);  // wait for the client to give up
  });
  expect_handshake_failure("localhost", client_ctx, make_error_code(Errc::unexpected_eof));
  server.get();

  // The server side: a client that connects and leaves without a word.
  auto accepting = spawn([&] {
    std::error_code ec;
    TlsSocket::accept(listener.accept(), server_ctx, kPatience, ec);
    EXPECT_EQ(ec, make_error_code(Errc::unexpected_eof)) << ec.message();
  });
  {
    Socket s = Socket::tcp();
    s.connect(Address::ipv4_loopback(port), kPatience);
  }
  accepting.get();
}

TEST_F(TlsStreamTest, HandshakeTimesOutAgainstASilentPeer) {
  // A server handshake against a client that connects and never sends its ClientHello.
  Socket silent = Socket::tcp();
  silent.connect(Address::ipv4_loopback(port), kPatience);
  std::error_code ec;
  TlsSocket::accept(listener.accept(), server_ctx, 50ms, ec);
  EXPECT_EQ(ec, make_error_code(Errc::timed_out)) << ec.message();

  // A client handshake against a listener that never accepts: the kernel completes the TCP
  // handshake from the backlog, and nobody answers the ClientHello.
  Socket s = Socket::tcp();
  s.connect(Address::ipv4_loopback(port), kPatience);
  try {
    TlsSocket::connect(std::move(s), client_ctx, "localhost", 50ms);
    ADD_FAILURE() << "the handshake succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::timed_out)) << e.what();
  }
}

TEST_F(TlsStreamTest, KilledDuringHandshakeReleasesEverything) {
  auto client = spawn([&] { connect_as("localhost", client_ctx); });
  Socket peer = listener.accept();
  char hello[512];
  EXPECT_GT(peer.recv(hello, sizeof hello), 0u);  // the client is parked in its handshake now
  client->kill();
  EXPECT_TRUE(client->killed());
  EXPECT_EQ(peer.recv(hello, sizeof hello), 0u);  // its socket was closed on the way out
}

TEST_F(TlsStreamTest, ReadTimeoutLeavesTheSessionUsable) {
  Event timed_out;
  auto server = serve(1, server_ctx, [&](TlsSocket& tls) {
    timed_out.wait(kPatience);
    tls.write_all("late");
    echo(tls);
  });
  TlsSocket tls = tls_connect("localhost", port, client_ctx, kPatience);
  tls.set_timeout(30ms);
  char buffer[4];
  std::error_code ec;
  EXPECT_EQ(tls.read_some(buffer, 4, ec), 0u);
  EXPECT_EQ(ec, make_error_code(Errc::timed_out));
  timed_out.set();
  tls.set_timeout(kPatience);
  std::string got;
  while (got.size() < 4) got.append(buffer, tls.read_some(buffer, 4 - got.size()));
  EXPECT_EQ(got, "late");
  tls.shutdown_write();
  server.get();
}

TEST_F(TlsStreamTest, RaggedEofAfterHandshakeReadsAsEndOfStream) {
  auto server = serve(1, server_ctx, [](TlsSocket& tls) {
    tls.write_all("bye");
    tls.socket().close();  // no close_notify
  });
  TlsSocket tls = connect_as("localhost", client_ctx);
  std::string got;
  char buffer[16];
  while (std::size_t n = tls.read_some(buffer, sizeof buffer)) got.append(buffer, n);
  EXPECT_EQ(got, "bye");
  server.get();
}

TEST_F(TlsStreamTest, WritingToAClosedPeerFailsWithoutSigpipe) {
  auto server = serve(1, server_ctx, [](TlsSocket& tls) { tls.close(); });
  TlsSocket tls = connect_as("localhost", client_ctx);
  server.get();
  const std::string chunk(64 * 1024, 'x');
  std::error_code ec;
  for (int i = 0; i < 1000 && !ec; ++i) tls.write_some(chunk.data(), chunk.size(), ec);
  EXPECT_TRUE(ec == std::errc::broken_pipe || ec == std::errc::connection_reset) << ec.message();
}

TEST_F(TlsStreamTest, ClosedOrEmptySocketsReportClosed) {
  TlsSocket none;
  std::error_code ec;
  char c;
  none.read_some(&c, 1, ec);
  EXPECT_EQ(ec, make_error_code(Errc::closed));
  none.write_some("x", 1, ec);
  EXPECT_EQ(ec, make_error_code(Errc::closed));
  EXPECT_THROW(TlsSocket::connect(Socket(), client_ctx, "localhost"), std::system_error);
  Socket s = Socket::tcp();
  s.connect(Address::ipv4_loopback(port), kPatience);
  TlsSocket::connect(std::move(s), server_ctx, "localhost", kPatience, ec);  // wrong role
  EXPECT_EQ(ec, make_error_code(Errc::invalid_argument));
}

}  // namespace
}  // namespace fern::net
