#include "server_connection.hpp"

#include <sys/socket.h>

#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/http/request_error.hpp"
#include "fern/http/serializer.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/socket_io.hpp"

namespace fern::http::detail {
namespace {

// Output past this is sent at once, so a streamed body never piles up in memory.
constexpr std::size_t kFlushAt = 64 * 1024;
// A connection that closes first reads (and drops) at most this much of what the client still
// sends, for at most kLingerTime, so the kernel does not answer unread bytes with a reset that
// could destroy the last response before the client reads it.
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr Duration kLingerTime = std::chrono::seconds(2);
// out_ keeps its capacity between responses unless a large body grew it past this.
constexpr std::size_t kKeepOutCapacity = 1 << 20;

}  // namespace

ServerConnection::ServerConnection(Server& server, net::Socket socket, net::TlsSocket tls,
                                   const net::Address& peer)
    : server_(server),
      socket_(std::move(socket)),
      tls_(std::move(tls)),
      peer_(peer),
      parser_(server.options_.limits),
      receive_(std::make_unique_for_overwrite<char[]>(server.options_.receive_buffer)),
      receive_size_(server.options_.receive_buffer),
      head_deadline_(deadline_after(server.options_.header_timeout)) {
  server_.connections_.push_back(*this);
}

void ServerConnection::close_if_idle() noexcept {
  if (idle_) io().close();  // wakes the parked read with Errc::closed
}

void ServerConnection::run() {
  Wait wait = Wait::first_request;
  for (;;) {
    switch (parser_.next_event()) {
      case ParseEvent::need_data:
        if (wait == Wait::idle && !parser_.buffered().empty()) {
          // The first bytes of the next request: its head must now arrive within header_timeout.
          head_deadline_ = deadline_after(server_.options_.header_timeout);
          wait = Wait::head;
        }
        if (!read_more(wait)) {
          flush();
          return;
        }
        break;
      case ParseEvent::headers_complete:
        if (!handle_request()) {
          close_gracefully();
          return;
        }
        wait = Wait::idle;
        break;
      case ParseEvent::closed: flush(); return;
      case ParseEvent::error: answer_error(parser_.error_status()); return;
      case ParseEvent::body:
      case ParseEvent::message_complete: break;  // not reached: handle_request consumes a whole request
    }
  }
}

bool ServerConnection::handle_request() {
  ++requests_;
  body_done_ = false;
  continue_sent_ = false;
  limit_hit_ = false;
  read_error_.clear();
  const RequestHead head = parser_.request();
  head_request_ = head.method == "HEAD";
  http10_ = head.version.minor == 0;
  ServerRequest request(*this, head, peer_);
  ResponseWriter writer(*this);
  run_handler(request, writer);
  return finish_request(writer);
}

void ServerConnection::run_handler(ServerRequest& request, ResponseWriter& writer) {
  try {
    server_.handler_(request, writer);
    if (!writer.head_sent()) {
      handler_failed(writer, request, "the handler returned without a response");
    } else {
      writer.finish();
    }
  } catch (const GreenletExit&) {
    throw;
  } catch (const RequestError& e) {
    // The client's fault, answered as the handler asked: nothing to log, the connection stays.
    if (writer.head_sent()) {
      handler_failed(writer, request, e.what());
    } else {
      writer.send(e.status(), e.what());
    }
  } catch (const std::exception& e) {
    handler_failed(writer, request, e.what());
  } catch (...) {
    handler_failed(writer, request, "an exception not derived from std::exception");
  }
}

void ServerConnection::handler_failed(ResponseWriter& writer, const ServerRequest& request,
                                      const char* what) {
  writer.close_after_ = true;
  writer.finished_ = true;
  if (broken_) return;  // the client went away: nothing to answer, nobody to blame
  int status = 500;
  if (parser_.error()) {
    status = parser_.error_status();  // the body was malformed or too large
  } else if (read_error_ == make_error_code(Errc::timed_out)) {
    status = 408;
  } else if (read_error_) {
    return;  // the client closed in the middle of its body
  } else if (limit_hit_) {
    status = 413;
  } else {
    server_.log("fern: http server " + server_.address().to_string() + ": " + std::string(request.method()) +
                " " + std::string(request.target()) + " from " + peer_.to_string() + ": " + what);
  }
  // A response already under way cannot be replaced: closing tells the client it is incomplete.
  if (!writer.head_sent()) append_error(status);
}

bool ServerConnection::finish_request(ResponseWriter& writer) {
  bool keep = !writer.close_after_ && !broken_;
  if (!body_done_ && keep) {
    // Unless the client waits for a 100 Continue it never got, its body is on the way: skip it.
    keep = !(parser_.expects_continue() && !continue_sent_) && skip_body();
  }
  if (out_.size() >= kFlushAt && keep) keep = flush();
  return keep;
}

bool ServerConnection::skip_body() {
  for (;;) {
    switch (parser_.next_event()) {
      case ParseEvent::body: break;
      case ParseEvent::message_complete: body_done_ = true; return true;
      case ParseEvent::need_data:
        if (!read_more(Wait::body)) return false;
        break;
      default: return false;  // malformed body after the response went out: just close
    }
  }
}

std::string_view ServerConnection::read_body_some() {
  if (body_done_) return {};
  send_continue_if_expected();
  for (;;) {
    switch (parser_.next_event()) {
      case ParseEvent::body: return parser_.body();
      case ParseEvent::message_complete: body_done_ = true; return {};
      case ParseEvent::need_data:
        if (!read_more(Wait::body)) {
          if (!read_error_) read_error_ = make_error_code(Errc::unexpected_eof);
          throw std::system_error(read_error_, "http: reading the request body");
        }
        break;
      case ParseEvent::error: throw std::system_error(parser_.error(), "http: reading the request body");
      default: return {};
    }
  }
}

void ServerConnection::send_continue_if_expected() {
  if (continue_sent_ || http10_ || !parser_.expects_continue()) return;
  continue_sent_ = true;
  // Bytes of the body already here mean the client did not wait; the interim answer is moot.
  if (parser_.buffered().empty()) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
}

bool ServerConnection::add_server_fields(bool wants_close, bool length_unknown) {
  const ServerOptions& o = server_.options_;
  // Look at the caller's fields before appending: appending may move them.
  const Headers caller(fields_);
  const bool has_date = caller.contains("date");
  const bool has_server = o.server_name.empty() || caller.contains("server");
  const bool has_close = caller.has_token("connection", "close");
  if (!has_date) fields_.push_back({"Date", server_.date_.now()});
  if (!has_server) fields_.push_back({"Server", o.server_name});
  const bool close = wants_close || !parser_.keep_alive() || server_.stopping_ ||
                     (o.max_requests_per_connection != 0 && requests_ >= o.max_requests_per_connection) ||
                     (http10_ && length_unknown) ||
                     (!body_done_ && parser_.expects_continue() && !continue_sent_);
  if (close) {
    if (!has_close) fields_.push_back({"Connection", "close"});
  } else if (http10_) {
    fields_.push_back({"Connection", "keep-alive"});
  }
  return close;
}

bool ServerConnection::read_more(Wait wait) {
  if (!flush() || !raw().is_open()) return false;
  if (wait == Wait::idle && server_.stopping_) return false;
  Duration budget = wait_budget(wait);
  if (budget <= Duration::zero()) {
    read_error_ = make_error_code(Errc::timed_out);
    return false;
  }
  idle_ = wait == Wait::idle;
  std::error_code ec;
  if (wait_first_) ec = wait_fd(socket_.fd(), io_events::readable, deadline_after(budget));
  std::size_t n = 0;
  if (!ec && raw().is_open()) {
    io().set_timeout(budget);
    n = io().read_some(receive_.get(), receive_size_, ec);
  }
  idle_ = false;
  if (ec || !raw().is_open()) {
    read_error_ = ec ? ec : make_error_code(Errc::closed);
    return false;
  }
  if (n == 0) {
    parser_.feed_eof();
    return true;
  }
  // A short read drained the socket: the next read would find nothing, so wait for readiness
  // first (saves a recv that only says EAGAIN). Not under TLS: OpenSSL may hold decrypted bytes
  // the socket no longer shows. Not on a completion driver either: its read parks until bytes
  // come, and a readiness wait before it would be a second round trip through the hub.
  wait_first_ = n < receive_size_ && !tls_ && !io::performed_by_driver();
  parser_.feed(std::string_view(receive_.get(), n));
  return true;
}

Duration ServerConnection::wait_budget(Wait wait) const noexcept {
  const ServerOptions& o = server_.options_;
  switch (wait) {
    case Wait::idle: return o.idle_timeout;
    case Wait::body: return o.read_timeout;
    case Wait::first_request:
    case Wait::head: break;
  }
  if (head_deadline_ == TimePoint::max()) return kForever;
  return head_deadline_ - Clock::now();
}

bool ServerConnection::flush() {
  if (broken_) return false;
  if (out_.empty()) return true;
  io().set_timeout(server_.options_.read_timeout);
  std::size_t sent = 0;
  while (sent < out_.size()) {
    std::error_code ec;
    sent += io().write_some(out_.data() + sent, out_.size() - sent, ec);
    if (ec) {
      broken_ = true;
      send_error_ = ec;
      out_.clear();
      return false;
    }
  }
  if (out_.capacity() > kKeepOutCapacity) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
  return true;
}

void ServerConnection::send_buffered(bool force) {
  if (!force && out_.size() < kFlushAt) return;
  if (!flush()) throw std::system_error(send_error_, "http: sending the response");
}

void ServerConnection::send_direct(std::string_view data) {
  send_buffered(true);
  out_.assign(data);  // one copy, but one send path with its timeout and error handling
  send_buffered(true);
}

void ServerConnection::append_error(int status) {
  const std::string body = std::to_string(status) + " " + std::string(reason_phrase(status)) + "\n";
  fields_.clear();
  fields_.push_back({"Content-Type", "text/plain"});
  fields_.push_back({"Date", server_.date_.now()});
  if (!server_.options_.server_name.empty()) fields_.push_back({"Server", server_.options_.server_name});
  fields_.push_back({"Connection", "close"});
  if (status == 503) fields_.push_back({"Retry-After", "1"});
  write_response(out_, status, Headers(fields_), head_request_ ? std::string_view() : body);
}

void ServerConnection::answer_busy() {
  append_error(503);
  close_gracefully();  // drains the request the client sends meanwhile, so the 503 is not reset away
}

void ServerConnection::answer_error(int status) {
  if (parser_.error() == make_error_code(ParseError::unexpected_eof)) {
    flush();  // the client left in the middle of a request: nobody to answer
    return;
  }
  head_request_ = false;
  append_error(status);
  close_gracefully();
}

void ServerConnection::close_gracefully() {
  if (!flush() || !raw().is_open()) return;
  // The server closes first: half-close (close_notify first under TLS), then drop what the client
  // still sends (bounded) until it closes too, so the last response is not destroyed by a reset.
  std::error_code shut;
  io().shutdown_write(shut);
  if (shut) return;
  const TimePoint deadline = deadline_after(kLingerTime);
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    const Duration left = deadline - Clock::now();
    if (left <= Duration::zero()) return;
    io().set_timeout(left);
    std::error_code ec;
    std::size_t n = io().read_some(receive_.get(), receive_size_, ec);
    if (ec || n == 0) return;
    drained += n;
  }
}

}  // namespace fern::http::detail
