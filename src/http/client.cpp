// The HTTP/1.1 client: connecting, sending a request, reading the head with one retry on a stale
// keep-alive connection, and following redirects (see include/fern/http/client.hpp).
#include "fern/http/client.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "client_connection.hpp"
#include "fern/base/error.hpp"
#include "fern/base/outcome.hpp"
#include "fern/http/serializer.hpp"
#include "fern/net/create_connection.hpp"
#include "fern/net/tls_stream.hpp"

namespace fern::http {
namespace {

// A redirect's body is read (so its connection can be reused) only when it is this small.
constexpr std::size_t kRedirectBodyDrain = 64 * 1024;
// A body up to this size goes out in the same write as the head.
constexpr std::size_t kInlineBody = 64 * 1024;

bool is_idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool is_redirect(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The errors by which a keep-alive connection the server closed shows itself.
bool is_connection_lost(std::error_code ec) noexcept {
  return ec == Errc::unexpected_eof || ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
         ec == std::errc::connection_aborted;
}

TimePoint earlier(TimePoint a, TimePoint b) noexcept { return a < b ? a : b; }

}  // namespace

// One request on its way: what to send where, changed by each redirect.
struct Client::Attempt {
  const ClientRequest& request;
  Url url;
  std::string origin;
  std::string authority;
  std::string method;
  bool with_body = true;         // false once a redirect turned the request into a GET
  bool with_credentials = true;  // false once a redirect left the original origin
  TimePoint deadline;

  void go_to(Url next) {
    url = std::move(next);
    origin = url.origin();
    authority = url.authority();
  }
  std::string label() const { return method + " " + url.to_string(); }
  bool replayable() const noexcept { return !(with_body && request.body_source); }
  bool sends_body_source() const noexcept { return with_body && static_cast<bool>(request.body_source); }
  // The request's header fields: Host and User-Agent unless given, then the caller's, less those a
  // redirect made inappropriate.
  void collect_fields(const ClientOptions& options, std::vector<HeaderField>& fields) const {
    fields.clear();
    if (!request.headers.contains("host")) fields.push_back({"Host", authority});
    if (!request.headers.contains("user-agent") && !options.user_agent.empty())
      fields.push_back({"User-Agent", options.user_agent});
    for (HeaderField f : request.headers) {
      if (!with_credentials && (iequals(f.name, "authorization") || iequals(f.name, "cookie"))) continue;
      if (!with_body && iequals(f.name, "content-type")) continue;
      fields.push_back(f);
    }
  }
  [[noreturn]] void fail(std::error_code ec, std::string_view what) const {
    throw std::system_error(ec, label() + ": " + std::string(what));
  }
  // The request failed on its connection: not applied when not one byte of it was written (the
  // server cannot have seen it), unknown otherwise (it may have reached the server and been acted on).
  [[noreturn]] void fail_request(const detail::ClientConnection& c, std::error_code ec,
                                 std::string_view what) const {
    throw OperationError(ec, label() + ": " + std::string(what),
                         c.sent == 0 ? Outcome::not_applied : Outcome::unknown);
  }
};

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      pool_(std::make_unique<detail::ConnectionPool>(options_.max_idle_per_host, options_.idle_expiry)) {}

Client::~Client() = default;

const net::TlsContext& Client::tls_context() {
  if (!options_.tls) options_.tls = net::TlsContext::client();
  return *options_.tls;
}

std::unique_ptr<detail::ClientConnection> Client::connect(const Url& url, TimePoint deadline) {
  Duration limit = std::min(options_.connect_timeout, detail::time_left(deadline));
  net::Socket socket = net::create_connection(url.host, url.port, limit);
  int fd = socket.fd();
  std::unique_ptr<net::Transport> transport;
  if (url.is_https()) {
    transport = std::make_unique<net::TlsSocket>(net::TlsSocket::connect(
        std::move(socket), tls_context(), url.host, std::min(limit, detail::time_left(deadline))));
  } else {
    transport = std::make_unique<net::Socket>(std::move(socket));
  }
  ++connections_opened_;
  return std::make_unique<detail::ClientConnection>(std::move(transport), fd, url.is_https(), url.origin(),
                                                    options_.limits);
}

void Client::release(std::unique_ptr<detail::ClientConnection> connection) {
  pool_->put(std::move(connection), Clock::now());
}

// Sends the request on a pooled connection (when `allow_reuse`) or a new one and reads up to the head
// of the final response. Returns null with `retry` set when a reused connection proved closed before
// any response byte arrived and the request may be sent again.
std::unique_ptr<detail::ClientConnection> Client::try_exchange(Attempt& a, bool allow_reuse, bool& retry) {
  std::unique_ptr<detail::ClientConnection> c = allow_reuse ? pool_->take(a.origin, Clock::now()) : nullptr;
  if (c && !is_idempotent(a.method) && c->unusable_when_idle()) c.reset();
  const bool reused = c != nullptr;
  if (!c) c = connect_for(a);

  a.collect_fields(options_, c->fields);
  std::string_view body = a.with_body ? std::string_view(a.request.body) : std::string_view();
  RequestStart start{.method = a.method, .target = a.url.target, .headers = Headers(c->fields)};
  if (a.sends_body_source() || (a.with_body && a.request.chunked)) {
    start.body = BodyKind::chunked;
  } else if (!body.empty() || a.method == "POST" || a.method == "PUT" || a.method == "PATCH") {
    start.body = BodyKind::length;
    start.content_length = body.size();
  }
  c->out.clear();
  write_request_head(c->out, start);
  const bool inline_body = start.body == BodyKind::length && body.size() <= kInlineBody;
  if (inline_body) c->out.append(body);
  if (start.body == BodyKind::chunked && !a.sends_body_source()) {
    write_chunk(c->out, body);
    write_last_chunk(c->out);
  }
  c->parser.request_sent(a.method);
  c->received = 0;
  c->sent = 0;

  std::error_code ec;
  c->write_all(c->out, a.deadline, ec);
  if (!ec && start.body == BodyKind::length && !inline_body) c->write_all(body, a.deadline, ec);
  if (!ec && a.sends_body_source()) {
    for (std::string piece; !ec && !(piece = a.request.body_source()).empty();) {
      c->out.clear();
      write_chunk(c->out, piece);
      c->write_all(c->out, a.deadline, ec);
    }
    c->out.clear();
    write_last_chunk(c->out);
    if (!ec) c->write_all(c->out, a.deadline, ec);
  }
  while (!ec) {
    ParseEvent event = c->next_event(a.deadline, ec);
    if (event == ParseEvent::headers_complete && !c->parser.is_interim()) return c;
    if (event == ParseEvent::closed) ec = make_error_code(Errc::unexpected_eof);
    if (event == ParseEvent::error) {
      if (c->parser.error_kind() == ParseError::unexpected_eof && c->received == 0) {
        ec = make_error_code(Errc::unexpected_eof);
      } else {
        a.fail_request(*c, c->parser.error(), "malformed response");
      }
    }
  }
  if (reused && c->received == 0 && is_connection_lost(ec) && is_idempotent(a.method) && a.replayable()) {
    retry = true;
    return nullptr;
  }
  if (ec == Errc::timed_out) a.fail_request(*c, ec, "timed out");
  if (ec == Errc::unexpected_eof)
    a.fail_request(*c, ec, "the server closed the connection before responding");
  a.fail_request(*c, ec, "connection failed");
}

// A request whose connection cannot be made was not sent at all.
std::unique_ptr<detail::ClientConnection> Client::connect_for(const Attempt& a) {
  try {
    return connect(a.url, a.deadline);
  } catch (const std::system_error& e) {
    throw OperationError(e, Outcome::not_applied);
  }
}

std::unique_ptr<detail::ClientConnection> Client::exchange(Attempt& a) {
  bool retry = false;
  if (auto c = try_exchange(a, true, retry)) return c;
  return try_exchange(a, false, retry);
}

StreamedResponse Client::send_following_redirects(const ClientRequest& request, TimePoint deadline,
                                                  int max_redirects) {
  Attempt a{
      .request = request, .url = parse_url(request.url), .method = request.method, .deadline = deadline};
  a.go_to(std::move(a.url));
  const std::string first_origin = a.origin;
  for (int redirects = 0;; ++redirects) {
    StreamedResponse r;
    r.client_ = this;
    r.connection_ = exchange(a);
    r.method_ = a.method;
    r.deadline_ = deadline;
    const ResponseHead head = r.connection_->parser.response();
    r.status = head.status;
    r.reason = head.reason;
    r.version = head.version;
    r.headers = HeaderList(head.headers);
    r.url = a.url.to_string();
    r.redirects = redirects;
    if (r.connection_->parser.body_kind() == BodyKind::none) r.read_some();  // frees the connection now

    auto location = r.headers.get("location");
    if (!is_redirect(r.status) || !location || max_redirects <= 0) return r;
    if ((r.status == 307 || r.status == 308) && a.sends_body_source()) return r;
    r.discard(kRedirectBodyDrain);
    if (redirects >= max_redirects)
      a.fail(make_error_code(Errc::limit_exceeded),
             "too many redirects (" + std::to_string(max_redirects) + ")");
    Url next = resolve_url(a.url, *location);
    if (r.status == 303 || ((r.status == 301 || r.status == 302) && a.method == "POST")) {
      if (a.method != "HEAD") a.method = "GET";
      a.with_body = false;
    }
    a.go_to(std::move(next));
    if (a.origin != first_origin) a.with_credentials = false;
  }
}

StreamedResponse Client::open(const ClientRequest& request, const RequestOptions& options) {
  Duration timeout = options.timeout.value_or(options_.timeout);
  StreamedResponse r = send_following_redirects(request, deadline_after(timeout),
                                                options.max_redirects.value_or(options_.max_redirects));
  r.deadline_ = TimePoint::max();
  r.read_timeout_ = timeout;
  return r;
}

ClientResponse Client::request(const ClientRequest& request, const RequestOptions& options) {
  Duration timeout = options.timeout.value_or(options_.timeout);
  StreamedResponse s = send_following_redirects(request, deadline_after(timeout),
                                                options.max_redirects.value_or(options_.max_redirects));
  ClientResponse r;
  r.body = s.read_all();
  r.status = s.status;
  r.reason = std::move(s.reason);
  r.version = s.version;
  r.headers = std::move(s.headers);
  r.url = std::move(s.url);
  r.redirects = s.redirects;
  return r;
}

ClientResponse Client::get(std::string_view url, const RequestOptions& options) {
  return request({.method = "GET", .url = std::string(url)}, options);
}

ClientResponse Client::head(std::string_view url, const RequestOptions& options) {
  return request({.method = "HEAD", .url = std::string(url)}, options);
}

ClientResponse Client::post(std::string_view url, std::string body, std::string_view content_type,
                            const RequestOptions& options) {
  ClientRequest r{.method = "POST", .url = std::string(url), .body = std::move(body)};
  if (!content_type.empty()) r.headers.add("Content-Type", content_type);
  return request(r, options);
}

std::size_t Client::idle_connections(std::string_view origin) const {
  return origin.empty() ? pool_->idle() : pool_->idle(origin);
}

void Client::close_idle() { pool_->clear(); }

// --- StreamedResponse

StreamedResponse::StreamedResponse(StreamedResponse&&) noexcept = default;
StreamedResponse& StreamedResponse::operator=(StreamedResponse&&) noexcept = default;
StreamedResponse::~StreamedResponse() = default;

void StreamedResponse::fail(std::error_code ec, std::string_view what) {
  connection_.reset();
  throw std::system_error(ec, method_ + " " + url + ": " + std::string(what));
}

void StreamedResponse::finish(bool reusable) {
  auto& parser = connection_->parser;
  if (reusable && parser.keep_alive() && parser.buffered().empty()) {
    client_->release(std::move(connection_));
  } else {
    connection_.reset();
  }
}

std::string_view StreamedResponse::read_some() {
  if (!connection_) return {};
  std::error_code ec;
  TimePoint deadline = earlier(deadline_, deadline_after(read_timeout_));
  switch (connection_->next_event(deadline, ec)) {
    case ParseEvent::body: return connection_->parser.body();
    case ParseEvent::message_complete: finish(true); return {};
    case ParseEvent::closed: finish(false); return {};
    case ParseEvent::error:
      if (connection_->parser.error_kind() == ParseError::body_too_large)
        fail(connection_->parser.error(),
             "response body over " + std::to_string(connection_->parser.limits().max_body) + " bytes");
      fail(connection_->parser.error(), "malformed response body");
    default: break;
  }
  if (ec == Errc::timed_out) fail(ec, "timed out reading the body");
  fail(ec ? ec : make_error_code(Errc::protocol_error), "reading the body failed");
}

std::string StreamedResponse::read_all() {
  std::string body;
  if (connection_ && connection_->parser.content_length())
    body.reserve(static_cast<std::size_t>(*connection_->parser.content_length()));
  for (std::string_view piece; !(piece = read_some()).empty();) body.append(piece);
  return body;
}

bool StreamedResponse::discard(std::size_t limit) {
  std::size_t seen = 0;
  while (connection_ && seen <= limit) seen += read_some().size();
  connection_.reset();
  return seen <= limit;
}

}  // namespace fern::http
