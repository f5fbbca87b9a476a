// Client: an HTTP/1.1 client for greenlets (what requests/urllib3 are to gevent code). Each call is
// plain sequential code that parks only the calling greenlet while it connects, sends and waits for
// the response; any number of greenlets may share one Client (one thread, one hub).
//
//   fern::http::Client client;
//   ClientResponse r = client.get("http://127.0.0.1:8080/hello");        // r.status, r.body
//   client.post("http://h/api", R"({"a":1})", "application/json");
//   StreamedResponse s = client.open({.url = "http://h/big.iso"});         // body in pieces
//   for (std::string_view piece; !(piece = s.read_some()).empty();) write(piece);
//
// Connections: one pool per origin (scheme, host, port). A connection whose response was read to
// its end and that may stay open goes back to the pool and serves the next request to that origin;
// at most max_idle_per_host wait there (the oldest is closed first), and one idle longer than
// idle_expiry is closed when its origin's pool is next used. A server may close an idle
// connection at any moment: when a reused connection turns out closed before a single response byte
// arrived, an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) with a replayable body is
// sent again, once, on a new connection; before a non-idempotent request is sent on a reused plain
// TCP connection, the client checks (one non-blocking peek) that the server has not closed it.
//
// Timeouts: connect_timeout bounds name resolution, TCP connect and the TLS handshake; timeout bounds
// the whole request (connect, send, every redirect, the head and the body); for a streamed response
// (open) it bounds everything up to the head, then each body read on its own. Expiry throws
// std::system_error with fern::Errc::timed_out naming the request.
//
// Responses: 1xx interim responses are skipped; HEAD, 204 and 304 have no body; bodies come with
// Content-Length, chunked, or until the server closes; a body over max_body fails with
// ParseError::body_too_large; malformed responses fail with the parser's ParseError. Redirects
// (301, 302, 303, 307, 308) are followed up to max_redirects (then Errc::limit_exceeded): 303 turns
// the request into GET without a body (HEAD stays HEAD), so do 301 and 302 after POST (as browsers);
// 307 and 308 repeat the method and body. A relative Location resolves against the request URL; on
// a redirect to another origin, Authorization and Cookie are dropped.
//
// https needs a TLS context (ClientOptions::tls, by default the system's trust store, made on first
// use). Errors are std::system_error throughout; URLs are checked by parse_url (invalid_argument).
// A request that fails before its response head arrives (connect failed, write failed, connection
// lost, timed out, malformed head) throws fern::OperationError (fern/base/outcome.hpp), same code
// and message: Outcome::not_applied when not one byte of the request was written, so the server
// cannot have seen it; Outcome::unknown once any byte was. A failure reading the body comes after
// the server answered and stays a plain std::system_error.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fern/base/clock.hpp"
#include "fern/http/client_response.hpp"
#include "fern/http/message_parser.hpp"
#include "fern/http/url.hpp"
#include "fern/net/tls_context.hpp"

namespace fern::http {

namespace detail {
struct ClientConnection;
class ConnectionPool;
}  // namespace detail

struct ClientOptions {
  Duration connect_timeout = std::chrono::seconds(10);  // resolve + connect + TLS handshake
  Duration timeout = std::chrono::seconds(60);          // a whole request, redirects included
  int max_redirects = 10;                               // 0: redirects are returned as they are
  std::size_t max_idle_per_host = 32;                   // idle keep-alive connections kept per origin
  Duration idle_expiry = std::chrono::seconds(30);      // an idle connection older than this is closed
  ParserLimits limits;                                  // max_body bounds every response body (64 MiB)
  std::string user_agent = "fern";                      // sent unless the request sets User-Agent
  std::optional<net::TlsContext> tls;                   // for https; default: TlsContext::client()
};

struct RequestOptions {
  std::optional<Duration> timeout;   // instead of ClientOptions::timeout
  std::optional<int> max_redirects;  // instead of ClientOptions::max_redirects
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;  // Host and User-Agent are added unless present; no Content-Length/Transfer-Encoding
  std::string body;    // sent with Content-Length (or chunked when `chunked`)
  bool chunked = false;
  // A body produced piece by piece and sent chunked: called until it returns an empty string. Such a
  // request cannot be repeated, so it is never retried and 307/308 redirects are returned as they are.
  std::function<std::string()> body_source;
};

// A response whose body is read on demand. It holds its connection until the body has been read to
// the end (the connection then returns to the pool) or until it is destroyed (an unfinished
// connection is closed). Each read waits at most the request's timeout. Must not outlive its Client.
class StreamedResponse {
 public:
  StreamedResponse(StreamedResponse&&) noexcept;
  StreamedResponse& operator=(StreamedResponse&&) noexcept;
  ~StreamedResponse();

  int status = 0;
  std::string reason;
  Version version;
  HeaderList headers;
  std::string url;
  int redirects = 0;

  // The next piece of the body (valid until the next call), empty once the body is complete.
  std::string_view read_some();
  // The rest of the body.
  std::string read_all();
  bool complete() const noexcept { return connection_ == nullptr; }

 private:
  friend class Client;
  StreamedResponse() = default;
  void finish(bool reusable);
  // Reads and drops up to `limit` body bytes; true when the body ended (the connection is then free).
  bool discard(std::size_t limit);

  [[noreturn]] void fail(std::error_code ec, std::string_view what);

  class Client* client_ = nullptr;
  std::unique_ptr<detail::ClientConnection> connection_;
  std::string method_;                     // for error messages
  Duration read_timeout_ = kForever;       // each body read (open)
  TimePoint deadline_ = TimePoint::max();  // the whole request (request)
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  ClientResponse get(std::string_view url, const RequestOptions& options = {});
  ClientResponse head(std::string_view url, const RequestOptions& options = {});
  ClientResponse post(std::string_view url, std::string body, std::string_view content_type,
                      const RequestOptions& options = {});
  ClientResponse request(const ClientRequest& request, const RequestOptions& options = {});
  // Sends the request and returns once the head of the final response has arrived.
  StreamedResponse open(const ClientRequest& request, const RequestOptions& options = {});

  // Idle connections now in the pool (for one origin such as "http://127.0.0.1:8080", or all).
  std::size_t idle_connections(std::string_view origin = {}) const;
  // Connections opened so far (a measure of reuse).
  std::uint64_t connections_opened() const noexcept { return connections_opened_; }
  // Closes every idle connection.
  void close_idle();

  const ClientOptions& options() const noexcept { return options_; }

 private:
  friend class StreamedResponse;
  struct Attempt;

  StreamedResponse send_following_redirects(const ClientRequest& request, TimePoint deadline,
                                            int max_redirects);
  std::unique_ptr<detail::ClientConnection> exchange(Attempt& attempt);
  std::unique_ptr<detail::ClientConnection> try_exchange(Attempt& attempt, bool allow_reuse, bool& retry);
  std::unique_ptr<detail::ClientConnection> connect(const Url& url, TimePoint deadline);
  std::unique_ptr<detail::ClientConnection> connect_for(const Attempt& attempt);
  void release(std::unique_ptr<detail::ClientConnection> connection);
  const net::TlsContext& tls_context();

  ClientOptions options_;
  std::unique_ptr<detail::ConnectionPool> pool_;
  std::uint64_t connections_opened_ = 0;
};

}  // namespace fern::http
