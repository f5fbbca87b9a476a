// ServerConnection: one client connection of fern::http::Server, from accept to close, in the
// connection's own greenlet. It owns the socket, the RequestParser and the output buffer; the
// ServerRequest and ResponseWriter a handler gets are thin views that call back in here.
//
// Syscalls per request, the figure the benchmark cares about: one recv per batch of requests read,
// one send per batch answered (responses are appended to out_ and leave when the parser needs more
// bytes), and, after a recv that did not fill the buffer, no second recv that would only say EAGAIN:
// the connection waits for readiness first (edge-triggered drivers remember an edge nobody took).
// Timeouts are per-connection deadlines handed to the one wait that needs them, never a Timeout
// scope per request.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/http/headers.hpp"
#include "fern/http/request_parser.hpp"
#include "fern/http/server.hpp"
#include "fern/net/address.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/tls_stream.hpp"

namespace fern::http::detail {

class ServerConnection : public ListNode {
 public:
  // `socket` for plain HTTP, or `tls` (after its handshake) with an empty `socket`.
  ServerConnection(Server& server, net::Socket socket, net::TlsSocket tls, const net::Address& peer);
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;
  ~ServerConnection() { unlink(); }

  // Serves requests until the connection closes, fails or times out.
  void run();
  // Server::stop: closes the connection now if it waits for a request; otherwise it closes after
  // the response in progress.
  void close_if_idle() noexcept;
  // Answers 503 (Retry-After) at once and closes: the server is serving all it may.
  void answer_busy();

  // --- for ServerRequest
  const RequestParser& parser() const noexcept { return parser_; }
  std::string_view read_body_some();
  bool body_complete() const noexcept { return body_done_; }
  // ServerRequest::read_body found the body larger than its caller allows: the answer is 413.
  void body_limit_exceeded() noexcept { limit_hit_ = true; }

  // --- for ResponseWriter
  std::string& out() noexcept { return out_; }
  std::vector<HeaderField>& fields() noexcept { return fields_; }
  // Appends Date, Server and Connection to fields(), and says whether the connection closes
  // after this response (`wants_close`: the handler or its fields asked for it).
  bool add_server_fields(bool wants_close, bool length_unknown);
  bool head_request() const noexcept { return head_request_; }
  bool http10() const noexcept { return http10_; }
  // Sends out_ when it has grown past the flush threshold (or `force`). Throws on a dead client.
  void send_buffered(bool force);
  // Sends out_ and then `data` without copying it.
  void send_direct(std::string_view data);

 private:
  enum class Wait { first_request, idle, head, body };

  // Runs the handler for the request whose head was just parsed; false when the connection closes.
  bool handle_request();
  void run_handler(ServerRequest& request, ResponseWriter& writer);
  void handler_failed(ResponseWriter& writer, const ServerRequest& request, const char* what);
  bool finish_request(ResponseWriter& writer);
  bool skip_body();
  // Flushes out_, then waits for and reads more request bytes; false when the connection is done
  // (EOF is fed to the parser and reported as true).
  bool read_more(Wait wait);
  Duration wait_budget(Wait wait) const noexcept;
  bool flush();
  void append_error(int status);
  void answer_error(int status);
  void close_gracefully();
  void send_continue_if_expected();

  Server& server_;
  // The connection's bytes move through io(): the TLS session when there is one, else the socket.
  net::Transport& io() noexcept { return tls_ ? static_cast<net::Transport&>(tls_) : socket_; }
  net::Socket& raw() noexcept { return tls_ ? tls_.socket() : socket_; }

  net::Socket socket_;
  net::TlsSocket tls_;
  const net::Address& peer_;
  RequestParser parser_;
  std::unique_ptr<char[]> receive_;
  std::size_t receive_size_;
  std::string out_;
  std::vector<HeaderField> fields_;
  TimePoint head_deadline_;
  std::error_code read_error_;  // why the last read_more failed
  std::error_code send_error_;
  std::size_t requests_ = 0;
  bool wait_first_ = false;  // the last recv drained the socket: wait before the next one
  bool idle_ = false;        // parked waiting for the next request
  bool broken_ = false;      // a send failed: the client is gone
  bool body_done_ = true;    // the current request's message_complete was seen
  bool continue_sent_ = false;
  bool head_request_ = false;
  bool http10_ = false;
  bool limit_hit_ = false;
};

}  // namespace fern::http::detail
