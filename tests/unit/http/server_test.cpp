// fern::http::Server with raw clients: fern sockets in greenlets of the test's own thread send
// exact bytes (pipelined batches, malformed and oversized requests, a slowloris trickle) and read
// the answers with the codec's ResponseParser. curl and wrk drive the same server in
// tests/integration/http_server.
#include "fern/http/server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../integration/tls/test_pki.hpp"
#include "fern/base/error.hpp"
#include "fern/http/client.hpp"
#include "fern/http/response_parser.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"
#include "fern/sync/event.hpp"

namespace fern::http {
namespace {

using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> fields;  // lower-case names
  std::string body;
  bool keep_alive = true;
  std::string field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

// One client connection: writes raw bytes, reads responses with ResponseParser.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(net::Socket::tcp()) {
    socket_.set_timeout(10s);
    socket_.connect(net::Address::ipv4_loopback(port));
  }
  void send(std::string_view bytes) { socket_.send_all(bytes); }
  // The next final response; status 0 when the connection ended first.
  Reply read(std::string_view method = "GET") {
    parser_.request_sent(method);
    Reply r;
    for (;;) {
      switch (parser_.next_event()) {
        case ParseEvent::need_data: {
          char buffer[4096];
          std::size_t n = socket_.recv(buffer, sizeof buffer);
          if (n == 0) {
            parser_.feed_eof();
          } else {
            parser_.feed(std::string_view(buffer, n));
          }
          break;
        }
        case ParseEvent::headers_complete: {
          ResponseHead head = parser_.response();
          r.status = head.status;
          for (const HeaderField& f : head.headers) {
            std::string name(f.name);
            std::transform(name.begin(), name.end(), name.begin(), ::tolower);
            r.fields[name] = std::string(f.value);
          }
          r.keep_alive = parser_.keep_alive();
          break;
        }
        case ParseEvent::body: r.body += parser_.body(); break;
        case ParseEvent::message_complete:
          if (parser_.is_interim()) {
            interim_.push_back(r.status);
            r = Reply{};
            break;
          }
          return r;
        case ParseEvent::closed: return r;
        case ParseEvent::error: ADD_FAILURE() << "bad response: " << parser_.error().message(); return r;
      }
    }
  }
  // True when the server closed the connection (what is left to read is empty).
  bool closed_by_server() {
    char c;
    std::error_code ec;
    std::size_t n = socket_.recv(&c, 1, ec);
    return !ec && n == 0;
  }
  std::vector<int> interim_;
  net::Socket& socket() { return socket_; }

 private:
  net::Socket socket_;
  ResponseParser parser_;
};

struct LogLines {
  std::vector<std::string> lines;
  bool contains(std::string_view text) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != l.npos; });
  }
};

// The handler most tests use: answers with what it saw.
ServerResponse describe(ServerRequest& req) {
  if (req.path() == "/boom") throw std::runtime_error("the handler blew up");
  if (req.path() == "/slow") sleep(100ms);
  std::string body = std::string(req.method()) + " " + std::string(req.target());
  if (req.has_body()) body += " body=" + req.read_body();
  ServerResponse r = ServerResponse::text(std::move(body));
  if (req.query() == "nocontent") r = {204, {}, {}, {}};
  return r;
}

std::unique_ptr<Server> start(Server::Handler handler, ServerOptions options = {}, LogLines* log = nullptr) {
  if (log) options.stream.log = [log](std::string_view line) { log->lines.emplace_back(line); };
  auto server =
      std::make_unique<Server>(net::Address::ipv4_loopback(0), std::move(handler), std::move(options));
  server->start();
  return server;
}

std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

TEST(HttpServer, AnswersAGetWithDateServerAndLength) {
  auto server = start(describe);
  Client c(server->port());
  c.send(get("/a?b=1"));
  Reply r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /a?b=1");
  EXPECT_EQ(r.field("content-length"), "10");
  EXPECT_EQ(r.field("content-type"), "text/plain");
  EXPECT_EQ(r.field("server"), "fern");
  EXPECT_EQ(r.field("date").size(), 29u);
  EXPECT_TRUE(r.keep_alive);
  server->close();
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = start(describe);
  Client c(server->port());
  for (int i = 0; i < 5; ++i) {
    c.send(get("/" + std::to_string(i)));
    EXPECT_EQ(c.read().body, "GET /" + std::to_string(i));
  }
  EXPECT_EQ(server->connection_count(), 1u);
  server->close();
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  auto server = start(describe);
  Client c(server->port());
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += get("/p" + std::to_string(i));
  c.send(batch);  // sixteen requests in one write
  for (int i = 0; i < 16; ++i) {
    Reply r = c.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /p" + std::to_string(i));
  }
  server->close();
}

TEST(HttpServer, ReadsContentLengthAndChunkedBodies) {
  auto server = start(describe);
  Client c(server->port());
  c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(c.read().body, "POST /up body=hello");
  c.send(
      "POST /chunks HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  EXPECT_EQ(c.read().body, "POST /chunks body=abcdefg");
  server->close();
}

TEST(HttpServer, AnUnreadBodyIsSkippedBeforeTheNextRequest) {
  auto server = start([](ServerRequest&) { return ServerResponse::text("ignored the body"); });
  Client c(server->port());
  c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789" + get("/next"));
  EXPECT_EQ(c.read().body, "ignored the body");
  Reply second = c.read();
  EXPECT_EQ(second.status, 200);
  EXPECT_TRUE(second.keep_alive);
  server->close();
}

TEST(HttpServer, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
  auto server = start(describe);
  Client c(server->port());
  c.send("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  // The server answers 100 only when the handler reads the body; the client waits for it.
  char buffer[64];
  std::size_t n = c.socket().recv(buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, n), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("data");
  EXPECT_EQ(c.read().body, "PUT /big body=data");
  server->close();
}

TEST(HttpServer, ABodyOverTheLimitGets413AndClose) {
  ServerOptions options;
  options.limits.max_body = 8;
  auto server = start(describe, options);
  Client c(server->port());
  c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
  Reply r = c.read();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.field("connection"), "close");
  EXPECT_TRUE(c.closed_by_server());
  // Chunked: the limit is found while reading.
  Client d(server->port());
  d.send(
      "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
      "chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n");
  EXPECT_EQ(d.read().status, 413);
  EXPECT_TRUE(d.closed_by_server());
  server->close();
}

TEST(HttpServer, MalformedRequestGets400AndTheConnectionCloses) {
  auto server = start(describe);
  for (std::string bad :
       {"GET / HTTP/1.1\nHost: t\n\n", "GET / HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GE T / HTTP/1.1\r\nHost: t\r\n\r\n"}) {
    Client c(server->port());
    c.send(bad);
    Reply r = c.read();
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.field("connection"), "close");
    EXPECT_TRUE(c.closed_by_server());
  }
  server->close();
}

TEST(HttpServer, OversizedHeadersGet431) {
  ServerOptions options;
  options.limits.max_header_block = 1024;
  options.limits.max_header_count = 10;
  auto server = start(describe, options);
  Client big(server->port());
  big.send(get("/", "X-Big: " + std::string(2000, 'a') + "\r\n"));
  EXPECT_EQ(big.read().status, 431);
  EXPECT_TRUE(big.closed_by_server());
  std::string many;
  for (int i = 0; i < 20; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  Client lots(server->port());
  lots.send(get("/", many));
  EXPECT_EQ(lots.read().status, 431);
  server->close();
}

TEST(HttpServer, AThrowingHandlerGets500AndTheServerKeepsServing) {
  LogLines log;
  auto server = start(describe, {}, &log);
  Client c(server->port());
  c.send(get("/boom"));
  Reply r = c.read();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.field("connection"), "close");
  EXPECT_TRUE(log.contains("the handler blew up"));
  EXPECT_TRUE(log.contains("GET /boom"));
  Client next(server->port());
  next.send(get("/fine"));
  EXPECT_EQ(next.read().body, "GET /fine");
  server->close();
}

TEST(HttpServer, HeadGetsTheHeadOnly) {
  auto server = start(describe);
  Client c(server->port());
  c.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" + get("/after"));
  Reply head = c.read("HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.field("content-length"), "7");  // the length of the body a GET would get: "HEAD /h"
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(c.read().body, "GET /after");  // nothing stray between the two
  server->close();
}

TEST(HttpServer, NoContentHasNoBodyFraming) {
  auto server = start(describe);
  Client c(server->port());
  c.send(get("/?nocontent") + get("/next"));
  Reply r = c.read();
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.field("content-length"), "");
  EXPECT_EQ(c.read().body, "GET /next");
  server->close();
}

TEST(HttpServer, StreamingHandlerSendsChunksAndTrailers) {
  Server server(net::Address::ipv4_loopback(0), [](ServerRequest&, ResponseWriter& w) {
    w.write_head(200, {{"Content-Type", "text/plain"}});
    w.write("one ");
    w.flush();
    w.write(std::string(40000, 'x'));  // large enough to bypass the buffer
    w.write(" two");
    w.finish({{"X-Checksum", "42"}});
  });
  server.start();
  Client c(server.port());
  c.send(get("/stream"));
  Reply r = c.read();
  EXPECT_EQ(r.field("transfer-encoding"), "chunked");
  EXPECT_EQ(r.body, "one " + std::string(40000, 'x') + " two");
  // HTTP/1.0 cannot do chunked: the body ends when the server closes.
  Client old(server.port());
  old.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  Reply r10 = old.read();
  EXPECT_EQ(r10.field("connection"), "close");
  EXPECT_EQ(r10.body.size(), 4u + 40000u + 4u);
  server.close();
}

TEST(HttpServer, Http10KeepAliveOnlyWhenAsked) {
  auto server = start(describe);
  Client plain(server->port());
  plain.send("GET /a HTTP/1.0\r\n\r\n");
  EXPECT_EQ(plain.read().body, "GET /a");
  EXPECT_TRUE(plain.closed_by_server());
  Client kept(server->port());
  kept.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  Reply r = kept.read();
  EXPECT_EQ(r.field("connection"), "keep-alive");
  kept.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept.read().body, "GET /b");
  server->close();
}

TEST(HttpServer, ConnectionCloseFromTheClientIsHonoured) {
  auto server = start(describe);
  Client c(server->port());
  c.send(get("/", "Connection: close\r\n"));
  EXPECT_EQ(c.read().field("connection"), "close");
  EXPECT_TRUE(c.closed_by_server());
  server->close();
}

TEST(HttpServer, SlowlorisIsDroppedAfterTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 200ms;
  auto server = start(describe, options);
  Client c(server->port());
  c.send("GET / HTTP/1.1\r\nHost: t\r\n");
  // Trickle a header line every 20 ms: each arrives well within any per-read timeout, but the
  // head as a whole never ends. The server must hang up; the trickle stops at 500 lines (10 s).
  bool dropped = false;
  for (int i = 0; i < 500 && !dropped; ++i) {
    sleep(20ms);
    std::error_code ec;
    c.socket().send("X: y\r\n", 6, ec);
    char byte;
    std::size_t n = ::recv(c.socket().fd(), &byte, 1, MSG_DONTWAIT);
    dropped = ec || n == 0;
  }
  EXPECT_TRUE(dropped);
  server->close();
}

// A client that sends a valid request and never reads the answer: once the socket buffers are full
// the server's write waits at most read_timeout, then the connection is cut and its greenlet ends.
TEST(HttpServer, AClientThatNeverReadsIsCutAfterTheWriteTimeout) {
  ServerOptions options;
  options.read_timeout = 50ms;
  auto server =
      start([](ServerRequest&) { return ServerResponse::text(std::string(64 << 20, 'x')); }, options);
  Client c(server->port());
  int small = 4096;  // a small receive buffer, so the server's sends stall early
  ASSERT_EQ(::setsockopt(c.socket().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  c.send(get("/"));
  // The bounds only stop a hang: the connection shows at once, and the cut comes after 50 ms of a
  // stalled send.
  for (int i = 0; i < 10000 && server->connection_count() == 0; ++i) sleep(1ms);
  for (int i = 0; i < 10000 && server->connection_count() > 0; ++i) sleep(1ms);
  EXPECT_EQ(server->connection_count(), 0u) << "the stalled connection still holds its greenlet";
  server->close();
}

// HTTPS: the same server behind a TLS context, asked by fern's client trusting the test CA; a
// plain-HTTP client on the HTTPS port is dropped and the server goes on.
TEST(HttpServer, ServesHttpsWithATlsContext) {
  fern_test::TestPki pki;
  fern_test::TestPki::Issued localhost = pki.issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1");
  ServerOptions options;
  options.tls = net::TlsContext::server(localhost.certificate, localhost.key);
  auto server = start(describe, options);
  ClientOptions client_options;
  client_options.tls = net::TlsContext::client(pki.ca_file());
  http::Client https(client_options);
  const std::string base = "https://localhost:" + std::to_string(server->port());
  ClientResponse first = https.get(base + "/a");
  EXPECT_EQ(first.status, 200);
  Client plain(server->port());
  plain.send(get("/"));
  EXPECT_TRUE(plain.closed_by_server());
  EXPECT_EQ(https.get(base + "/b").status, 200);
  EXPECT_EQ(https.connections_opened(), 1u);  // keep-alive over TLS
  server->close();
}

TEST(HttpServer, IdleKeepAliveConnectionsAreClosed) {
  ServerOptions options;
  options.idle_timeout = 50ms;
  auto server = start(describe, options);
  Client c(server->port());
  c.send(get("/"));
  EXPECT_EQ(c.read().status, 200);
  EXPECT_TRUE(c.closed_by_server());  // after the idle timeout, without a byte sent
  server->close();
}

TEST(HttpServer, StopLetsARequestInFlightFinishAndClosesIdleConnections) {
  auto server = start(describe);
  Client idle(server->port());
  idle.send(get("/"));
  EXPECT_EQ(idle.read().status, 200);
  Client busy(server->port());
  busy.send(get("/slow"));
  sleep(20ms);  // the slow handler is running now
  auto stopped = spawn([&] { return server->stop(10s); });
  Reply r = busy.read();
  EXPECT_EQ(r.body, "GET /slow");
  EXPECT_EQ(r.field("connection"), "close");
  EXPECT_TRUE(busy.closed_by_server());
  busy.socket().close();  // the server lingers for the client's close after its last response
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_TRUE(stopped.get());
}

// Past max_active_connections a new connection is answered 503 with Retry-After at once, not left
// unseen in the backlog; once a served connection ends, new ones are served again.
TEST(HttpServer, ConnectionsPastTheActiveLimitAreAnswered503) {
  fern::Event release, both_in;
  int entered = 0;
  ServerOptions options;
  options.max_active_connections = 2;
  auto server = start(
      [&](ServerRequest& req) {
        if (++entered == 2) both_in.set();
        release.wait();
        return ServerResponse::text(std::string(req.target()));
      },
      options);
  Client first(server->port()), second(server->port());
  first.send(get("/1"));
  second.send(get("/2"));
  both_in.wait();
  Client third(server->port());
  third.send(get("/3"));
  Reply busy = third.read();
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.field("retry-after"), "1");
  EXPECT_EQ(busy.field("connection"), "close");
  EXPECT_TRUE(third.closed_by_server());
  third.socket().close();
  EXPECT_EQ(server->busy_rejections(), 1u);
  release.set();
  EXPECT_EQ(first.read().body, "/1");
  EXPECT_EQ(second.read().body, "/2");
  first.socket().close();
  second.socket().close();
  while (server->connection_count() > 0) sleep(1ms);  // both served connections have ended
  Client fourth(server->port());
  fourth.send(get("/4"));
  EXPECT_EQ(fourth.read().status, 200);
  EXPECT_EQ(server->busy_rejections(), 1u);
  server->close();
}

TEST(HttpServer, ServerFieldsTheHandlerSetsAreNotDuplicated) {
  auto server = start([](ServerRequest&) {
    ServerResponse r = ServerResponse::text("x");
    r.headers = {{"Server", "custom"}, {"X-Extra", "1"}};
    return r;
  });
  Client c(server->port());
  c.send(get("/"));
  Reply r = c.read();
  EXPECT_EQ(r.field("server"), "custom");
  EXPECT_EQ(r.field("x-extra"), "1");
  server->close();
}

}  // namespace
}  // namespace fern::http
