// fern::http::Client against fake servers: greenlets in this process on real loopback sockets that
// read requests with fern's RequestParser and answer with hand-written bytes, so every framing, every
// failure and every connection-reuse decision can be produced on purpose and checked on the server
// side (connections accepted, requests seen). tests/integration/http_client runs it against nginx.
#include "fern/http/client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "../../integration/tls/test_pki.hpp"
#include "fern/base/error.hpp"
#include "fern/http/parse_error.hpp"
#include "fern/http/request_parser.hpp"
#include "fern/http/server.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"
#include "fern/sync/event.hpp"

namespace {

using namespace std::chrono_literals;
using fern::http::Client;
using fern::http::ClientOptions;
using fern::http::ClientRequest;
using fern::http::HeaderList;
using fern::http::ParseError;
using fern::http::RequestOptions;
using fern::net::Socket;

struct Received {
  std::string method;
  std::string target;
  HeaderList headers;
  std::string body;
};

class FakeServer {
 public:
  // Runs for each accepted connection, in its own greenlet, with the connection's index.
  using Script = std::function<void(Socket&, FakeServer&, int index)>;

  explicit FakeServer(Script script, bool ipv6 = false) {
    auto address = ipv6 ? fern::net::Address::ipv6_loopback(0) : fern::net::Address::ipv4_loopback(0);
    listener_ = fern::net::listen_tcp(address);
    port_ = listener_.local_address().port();
    host_ = ipv6 ? "[::1]" : "127.0.0.1";
    acceptor_ = fern::spawn([this, script = std::move(script)] {
      for (;;) {
        std::error_code ec;
        Socket peer = listener_.accept(nullptr, ec);
        if (ec) return;
        peer.set_nodelay();
        const int index = accepted_++;
        sessions_.push_back(
            fern::spawn([this, script, index](Socket s) { script(s, *this, index); }, std::move(peer)));
      }
    });
  }
  ~FakeServer() {
    listener_.close();
    acceptor_->kill();
    for (auto& s : sessions_) s->kill();
  }

  std::string url(const std::string& path) const {
    return "http://" + host_ + ":" + std::to_string(port_) + path;
  }
  std::string origin() const { return "http://" + host_ + ":" + std::to_string(port_); }
  int accepted() const { return accepted_; }

  // The next whole request on `s`, or nullopt at end of stream or on malformed input.
  std::optional<Received> read_request(Socket& s, fern::http::RequestParser& parser) {
    Received r;
    for (;;) {
      switch (parser.next_event()) {
        case fern::http::ParseEvent::need_data: {
          auto room = parser.prepare(4096);
          std::error_code ec;
          std::size_t n = s.recv(room.data(), room.size(), ec);
          parser.commit(ec ? 0 : n);
          if (ec || n == 0) parser.feed_eof();
          break;
        }
        case fern::http::ParseEvent::headers_complete: {
          auto head = parser.request();
          r.method = head.method;
          r.target = head.target;
          r.headers = HeaderList(head.headers);
          ++in_flight;
          max_in_flight = std::max(max_in_flight, in_flight);
          break;
        }
        case fern::http::ParseEvent::body: r.body.append(parser.body()); break;
        case fern::http::ParseEvent::message_complete: requests.push_back(r); return r;
        default: return std::nullopt;
      }
    }
  }
  // Answers every request on the connection with respond(request) until the client closes.
  static Script serve(std::function<std::string(const Received&)> respond) {
    return [respond](Socket& s, FakeServer& server, int) {
      fern::http::RequestParser parser;
      while (auto r = server.read_request(s, parser)) {
        std::string reply = respond(*r);
        if (r->method == "HEAD") reply.erase(reply.find("\r\n\r\n") + 4);  // a HEAD response has no body
        --server.in_flight;
        s.send_all(reply);
      }
    };
  }

  std::vector<Received> requests;
  int in_flight = 0;
  int max_in_flight = 0;

 private:
  Socket listener_;
  std::uint16_t port_ = 0;
  std::string host_;
  int accepted_ = 0;
  fern::GreenletRef<> acceptor_;
  std::vector<fern::GreenletRef<>> sessions_;
};

std::string ok(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

// Runs `fn`, which must throw std::system_error; returns it.
template <class F>
std::system_error thrown(F&& fn) {
  try {
    fn();
  } catch (const std::system_error& e) {
    return e;
  }
  ADD_FAILURE() << "nothing thrown";
  return std::system_error(fern::Errc::ok, "");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ClientTest, GetsABodyAndReusesTheConnection) {
  FakeServer server(FakeServer::serve([](const Received& r) { return ok("you asked for " + r.target); }));
  Client client;
  auto a = client.get(server.url("/a?x=1"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.reason, "OK");
  EXPECT_EQ(a.body, "you asked for /a?x=1");
  EXPECT_EQ(a.headers.get("content-length"), "20");
  EXPECT_EQ(a.url, server.url("/a?x=1"));
  EXPECT_EQ(client.idle_connections(server.origin()), 1u);
  auto b = client.get(server.url("/b"));
  EXPECT_EQ(b.body, "you asked for /b");
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client.connections_opened(), 1u);
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].headers.get("host"), server.origin().substr(7));
  EXPECT_EQ(server.requests[0].headers.get("user-agent"), "fern");
  EXPECT_FALSE(server.requests[0].headers.contains("content-length"));
}

TEST(ClientTest, ReadsAChunkedResponseArrivingByteByByte) {
  FakeServer server([](Socket& s, FakeServer& self, int) {
    fern::http::RequestParser parser;
    while (self.read_request(s, parser)) {
      std::string reply =
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n"
          "0\r\nX-Trailer: t\r\n\r\n";
      for (char c : reply) {
        s.send_all(std::string_view(&c, 1));
        fern::sleep(20us);
      }
    }
  });
  Client client;
  EXPECT_EQ(client.get(server.url("/")).body, "hello, world");
  EXPECT_EQ(client.get(server.url("/")).body, "hello, world");
  EXPECT_EQ(server.accepted(), 1);
}

TEST(ClientTest, ReadsABodyUntilCloseAndDoesNotPoolThatConnection) {
  FakeServer server([](Socket& s, FakeServer& self, int) {
    fern::http::RequestParser parser;
    if (self.read_request(s, parser)) s.send_all("HTTP/1.1 200 OK\r\n\r\nall of it");
  });
  Client client;
  auto r = client.get(server.url("/"));
  EXPECT_EQ(r.body, "all of it");
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(client.get(server.url("/")).body, "all of it");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(ClientTest, HeadHasNoBodyWhateverContentLengthSays) {
  FakeServer server(FakeServer::serve([](const Received& r) {
    return r.method == "HEAD" ? "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" : ok("x");
  }));
  Client client;
  auto h = client.head(server.url("/"));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.headers.get("content-length"), "100");
  EXPECT_TRUE(h.body.empty());
  EXPECT_EQ(client.get(server.url("/")).body, "x");  // the framing stayed right on the same connection
  EXPECT_EQ(server.accepted(), 1);
}

TEST(ClientTest, SkipsInterimResponses) {
  FakeServer server(FakeServer::serve([](const Received&) {
    return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + ok("final");
  }));
  Client client;
  auto r = client.get(server.url("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "final");
  EXPECT_FALSE(r.headers.contains("link"));
}

TEST(ClientTest, MalformedResponsesFailClearly) {
  const std::vector<std::pair<std::string, ParseError>> cases = {
      {"HTTP/1.1 200 OK\nContent-Length: 1\n\nx", ParseError::bad_line_ending},
      {"SMTP ready\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
       ParseError::conflicting_content_length},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ParseError::bad_chunk_size},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ParseError::unexpected_eof},
  };
  for (const auto& [reply, error] : cases) {
    FakeServer server([reply = reply](Socket& s, FakeServer& self, int) {
      fern::http::RequestParser parser;
      if (self.read_request(s, parser)) s.send_all(reply);
    });
    Client client;
    auto e = thrown([&] { client.get(server.url("/m")); });
    EXPECT_EQ(e.code(), error) << reply << " -> " << e.what();
    EXPECT_TRUE(contains(e.what(), "GET " + server.url("/m"))) << e.what();
    EXPECT_TRUE(contains(e.what(), "malformed response")) << e.what();
    EXPECT_EQ(client.idle_connections(), 0u);
  }
}

TEST(ClientTest, AServerThatClosesWithoutAnsweringIsAnErrorOnAFreshConnection) {
  FakeServer server([](Socket& s, FakeServer& self, int) {
    fern::http::RequestParser parser;
    self.read_request(s, parser);
  });
  Client client;
  auto e = thrown([&] { client.get(server.url("/")); });
  EXPECT_EQ(e.code(), fern::Errc::unexpected_eof);
  EXPECT_TRUE(contains(e.what(), "closed the connection before responding")) << e.what();
  EXPECT_EQ(server.accepted(), 1);  // a new connection is never retried
}

// The server answers one request per connection with keep-alive, then closes: the pooled
// connection is stale when the next request goes out.
FakeServer::Script one_request_then_close(fern::Event& closed) {
  return [&closed](Socket& s, FakeServer& self, int index) {
    fern::http::RequestParser parser;
    if (auto r = self.read_request(s, parser)) {
      s.send_all(ok("reply " + std::to_string(index) + " to " + r->method + " " + r->body));
      s.close();
      closed.set();
    }
  };
}

TEST(ClientTest, RetriesAnIdempotentRequestOnceWhenTheServerClosedTheIdleConnection) {
  fern::Event closed;
  FakeServer server(one_request_then_close(closed));
  Client client;
  EXPECT_EQ(client.get(server.url("/")).body, "reply 0 to GET ");
  ASSERT_TRUE(closed.wait(10s));
  EXPECT_EQ(client.idle_connections(), 1u);  // the client cannot know yet
  EXPECT_EQ(client.get(server.url("/")).body, "reply 1 to GET ");
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(server.requests.size(), 2u);
}

TEST(ClientTest, ChecksAnIdleConnectionBeforeSendingAPost) {
  fern::Event closed;
  FakeServer server(one_request_then_close(closed));
  Client client;
  client.get(server.url("/"));
  ASSERT_TRUE(closed.wait(10s));
  auto r = client.post(server.url("/"), "payload", "text/plain");
  EXPECT_EQ(r.body, "reply 1 to POST payload");
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1].headers.get("content-type"), "text/plain");
  EXPECT_EQ(server.requests[1].headers.get("content-length"), "7");
}

TEST(ClientTest, TimesOutAgainstAServerThatNeverAnswers) {
  FakeServer server([](Socket& s, FakeServer& self, int) {
    fern::http::RequestParser parser;
    self.read_request(s, parser);
    fern::sleep(60s);
  });
  Client client;
  auto e = thrown([&] { client.get(server.url("/slow"), RequestOptions{.timeout = 100ms}); });
  EXPECT_EQ(e.code(), fern::Errc::timed_out);
  EXPECT_TRUE(contains(e.what(), "GET " + server.url("/slow") + ": timed out")) << e.what();
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(ClientTest, ConnectingToAClosedPortFails) {
  int port;
  {
    Socket s = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
    port = s.local_address().port();
  }
  Client client;
  auto e = thrown([&] { client.get("http://127.0.0.1:" + std::to_string(port) + "/"); });
  EXPECT_EQ(e.code(), std::errc::connection_refused) << e.what();
}

TEST(ClientTest, RejectsBadUrlsAndFramingHeadersBeforeConnecting) {
  Client client;
  EXPECT_EQ(thrown([&] { client.get("gopher://x/"); }).code(), fern::Errc::invalid_argument);
  EXPECT_EQ(thrown([&] { client.get("http://x:0/"); }).code(), fern::Errc::invalid_argument);
  FakeServer server(FakeServer::serve([](const Received&) { return ok(""); }));
  ClientRequest r{.url = server.url("/")};
  r.headers.add("Content-Length", "5");
  EXPECT_EQ(thrown([&] { client.request(r); }).code(), fern::Errc::invalid_argument);
  EXPECT_TRUE(server.requests.empty());
}

TEST(ClientTest, FollowsRedirects) {
  FakeServer server(FakeServer::serve([](const Received& r) -> std::string {
    auto redirect = [](int status, const std::string& to) {
      return "HTTP/1.1 " + std::to_string(status) + " R\r\nLocation: " + to +
             "\r\nContent-Length: 3\r\n\r\nmoo";
    };
    if (r.target == "/a/start") return redirect(302, "next");  // relative to /a/
    if (r.target == "/a/next") return redirect(301, "/b?q=1");
    if (r.target == "/see-other") return redirect(303, "/b");
    if (r.target == "/temporary") return redirect(307, "/b");
    if (r.target == "/permanent") return redirect(308, "/b");
    if (r.target == "/loop") return redirect(302, "/loop");
    return ok(r.method + " " + r.target + " [" + r.body + "]");
  }));
  Client client;
  auto r = client.get(server.url("/a/start"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /b?q=1 []");
  EXPECT_EQ(r.redirects, 2);
  EXPECT_EQ(r.url, server.url("/b?q=1"));
  EXPECT_EQ(client.post(server.url("/see-other"), "data", "text/plain").body, "GET /b []");
  EXPECT_FALSE(server.requests.back().headers.contains("content-type"));
  EXPECT_EQ(client.post(server.url("/temporary"), "data", "text/plain").body, "POST /b [data]");
  EXPECT_EQ(client.request({.method = "PUT", .url = server.url("/permanent"), .body = "d"}).body,
            "PUT /b [d]");
  EXPECT_EQ(client.head(server.url("/see-other")).status, 200);
  EXPECT_EQ(server.requests.back().method, "HEAD");
  // Not followed when asked not to: the redirect itself comes back.
  auto raw = client.get(server.url("/a/start"), RequestOptions{.max_redirects = 0});
  EXPECT_EQ(raw.status, 302);
  EXPECT_EQ(raw.body, "moo");
  auto e = thrown([&] { client.get(server.url("/loop"), RequestOptions{.max_redirects = 3}); });
  EXPECT_EQ(e.code(), fern::Errc::limit_exceeded);
  EXPECT_TRUE(contains(e.what(), "too many redirects (3)")) << e.what();
  EXPECT_EQ(server.accepted(), 1);  // redirect bodies were read, so one connection served all
}

TEST(ClientTest, DropsCredentialsOnARedirectToAnotherOrigin) {
  FakeServer other(FakeServer::serve([](const Received&) { return ok("other"); }));
  FakeServer first(FakeServer::serve([&](const Received& r) -> std::string {
    if (r.target == "/same") return "HTTP/1.1 302 R\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n";
    if (r.target == "/away")
      return "HTTP/1.1 302 R\r\nLocation: " + other.url("/end") + "\r\nContent-Length: 0\r\n\r\n";
    return ok("first");
  }));
  Client client;
  ClientRequest same{.url = first.url("/same")};
  same.headers.add("Authorization", "Bearer secret");
  EXPECT_EQ(client.request(same).body, "first");
  EXPECT_EQ(first.requests.back().headers.get("authorization"), "Bearer secret");
  ClientRequest away{.url = first.url("/away")};
  away.headers.add("Authorization", "Bearer secret");
  away.headers.add("Cookie", "a=b");
  away.headers.add("X-Kept", "1");
  EXPECT_EQ(client.request(away).body, "other");
  ASSERT_EQ(other.requests.size(), 1u);
  EXPECT_FALSE(other.requests[0].headers.contains("authorization"));
  EXPECT_FALSE(other.requests[0].headers.contains("cookie"));
  EXPECT_EQ(other.requests[0].headers.get("x-kept"), "1");
  EXPECT_EQ(other.requests[0].headers.get("host"), other.origin().substr(7));
}

TEST(ClientTest, EnforcesTheResponseBodyLimit) {
  FakeServer server(FakeServer::serve([](const Received& r) {
    if (r.target == "/chunked")
      return std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n") +
             std::string(2000, 'c') + "\r\n0\r\n\r\n";
    return ok(std::string(r.target == "/big" ? 2000 : 1000, 'x'));
  }));
  ClientOptions options;
  options.limits.max_body = 1000;
  Client client(options);
  EXPECT_EQ(client.get(server.url("/fits")).body.size(), 1000u);
  for (const char* path : {"/big", "/chunked"}) {
    auto e = thrown([&] { client.get(server.url(path)); });
    EXPECT_EQ(e.code(), ParseError::body_too_large) << e.what();
  }
  auto e = thrown([&] { client.get(server.url("/chunked")); });
  EXPECT_TRUE(contains(e.what(), "over 1000 bytes")) << e.what();
}

TEST(ClientTest, SendsChunkedRequestBodies) {
  FakeServer server(FakeServer::serve([](const Received& r) { return ok(r.body); }));
  Client client;
  auto whole = client.request({.method = "POST", .url = server.url("/"), .body = "abc", .chunked = true});
  EXPECT_EQ(whole.body, "abc");
  EXPECT_EQ(server.requests.back().headers.get("transfer-encoding"), "chunked");
  int pieces = 0;
  ClientRequest streamed{.method = "PUT", .url = server.url("/")};
  streamed.body_source = [&]() -> std::string {
    return pieces < 3 ? "piece" + std::to_string(pieces++) : "";
  };
  EXPECT_EQ(client.request(streamed).body, "piece0piece1piece2");
  EXPECT_EQ(server.accepted(), 1);
}

TEST(ClientTest, StreamsABodyInPiecesAndFreesTheConnectionAtItsEnd) {
  const std::string big(300 * 1024, 'b');
  FakeServer server(FakeServer::serve([&](const Received&) { return ok(big); }));
  Client client;
  {
    auto s = client.open({.url = server.url("/")});
    EXPECT_EQ(s.status, 200);
    std::string body;
    std::size_t pieces = 0;
    for (std::string_view piece; !(piece = s.read_some()).empty(); ++pieces) body.append(piece);
    EXPECT_EQ(body, big);
    EXPECT_GT(pieces, 1u);
    EXPECT_TRUE(s.complete());
    EXPECT_EQ(client.idle_connections(), 1u);
  }
  {
    auto s = client.open({.url = server.url("/")});
    EXPECT_FALSE(s.read_some().empty());
  }  // dropped half-read: that connection cannot be reused
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(client.get(server.url("/")).body.size(), big.size());
  EXPECT_EQ(server.accepted(), 2);
}

TEST(ClientTest, ManyGreenletsShareOneClient) {
  FakeServer server(FakeServer::serve([](const Received& r) {
    fern::sleep(1ms);  // keeps requests in flight together
    return ok(r.target);
  }));
  ClientOptions options;
  options.max_idle_per_host = 64;
  Client client(options);
  constexpr int kGreenlets = 40, kEach = 10;
  int correct = 0;
  std::vector<fern::GreenletRef<>> workers;
  for (int g = 0; g < kGreenlets; ++g) {
    workers.push_back(fern::spawn([&, g] {
      for (int i = 0; i < kEach; ++i) {
        std::string path = "/" + std::to_string(g) + "/" + std::to_string(i);
        if (client.get(server.url(path)).body == path) ++correct;
      }
    }));
  }
  fern::joinall(workers, fern::kForever, true);
  EXPECT_EQ(correct, kGreenlets * kEach);
  EXPECT_LE(server.accepted(), kGreenlets);  // connections were reused, never more than one per greenlet
  EXPECT_GT(server.max_in_flight, 1);
  EXPECT_EQ(client.idle_connections(), static_cast<std::size_t>(server.accepted()));
}

TEST(ClientTest, PoolLimitsIdleConnectionsAndExpiresThem) {
  FakeServer server(FakeServer::serve([](const Received&) { return ok("x"); }));
  ClientOptions options;
  options.max_idle_per_host = 2;
  Client client(options);
  {
    auto a = client.open({.url = server.url("/")});
    auto b = client.open({.url = server.url("/")});
    auto c = client.open({.url = server.url("/")});
    a.read_all();
    b.read_all();
    c.read_all();
  }
  EXPECT_EQ(server.accepted(), 3);
  EXPECT_EQ(client.idle_connections(), 2u);
  client.close_idle();
  EXPECT_EQ(client.idle_connections(), 0u);

  ClientOptions expiring;
  expiring.idle_expiry = fern::Duration::zero();
  Client fresh(expiring);
  fresh.get(server.url("/"));
  fresh.get(server.url("/"));
  EXPECT_EQ(fresh.connections_opened(), 2u);
}

TEST(ClientTest, SpeaksToIpv6Literals) {
  std::optional<FakeServer> server;
  try {
    server.emplace(FakeServer::serve(
                       [](const Received& r) { return ok(std::string(r.headers.get("host").value_or(""))); }),
                   true);
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  Client client;
  auto r = client.get(server->url("/"));
  EXPECT_EQ(r.body, server->origin().substr(7));
  EXPECT_EQ(r.body.front(), '[');
}

// Over TLS a server that closed an idle keep-alive connection (close_notify, then FIN) is found
// before the next request goes out, so even a POST, never resent once written, goes out once on a
// new connection instead of failing with an unknown outcome.
TEST(ClientTest, ATlsConnectionTheServerClosedWhileIdleIsNotUsed) {
  fern_test::TestPki pki;
  fern_test::TestPki::Issued localhost = pki.issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1");
  int posts = 0;
  auto handler = [&posts](fern::http::ServerRequest& req) {
    if (req.method() == "POST") ++posts;
    return fern::http::ServerResponse::text("seen");
  };
  fern::http::ServerOptions options;
  options.tls = fern::net::TlsContext::server(localhost.certificate, localhost.key);
  auto first = std::make_unique<fern::http::Server>(fern::net::Address::ipv4_loopback(0), handler, options);
  first->start();
  const std::uint16_t port = first->port();
  ClientOptions client_options;
  client_options.tls = fern::net::TlsContext::client(pki.ca_file());
  Client client(client_options);
  const std::string url = "https://localhost:" + std::to_string(port) + "/";
  EXPECT_EQ(client.get(url).status, 200);
  EXPECT_EQ(client.idle_connections(), 1u);
  first->close();  // closes the idle connection: close_notify and FIN reach the client's pool
  first.reset();
  fern::http::Server second(fern::net::Address::ipv4_loopback(port), handler, options);
  second.start();
  fern::sleep(10ms);  // loopback has delivered the close long before; this only bounds a slow machine
  EXPECT_EQ(client.post(url, "once", "text/plain").status, 200);
  EXPECT_EQ(posts, 1);
  EXPECT_EQ(client.connections_opened(), 2u);
  second.close();
}

}  // namespace
