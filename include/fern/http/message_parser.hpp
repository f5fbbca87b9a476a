// MessageParser: the sans-IO HTTP/1.1 parsing engine shared by RequestParser (server side) and
// ResponseParser (client side). It never touches a socket and never blocks: the caller feeds the
// bytes it received, in any chunking, and pulls events one at a time:
//
//   parser.feed(bytes);                        // or prepare()/commit() to receive in place
//   for (;;) switch (parser.next_event()) {
//     case ParseEvent::need_data: ...read more, feed, or feed_eof() ...
//     case ParseEvent::headers_complete: ...request()/response(), keep_alive() ...
//     case ParseEvent::body: ...consume body() ...
//     case ParseEvent::message_complete: ...trailers(); the next call starts the next message ...
//     case ParseEvent::closed: ...no further message on this connection ...
//     case ParseEvent::error: ...answer error_status() and close ...
//   }
//
// Bodies are delivered in pieces as they arrive (a body event per contiguous run of body bytes), so a
// large body is never held whole. Several messages in one buffer (pipelining) come out one after the
// other; bytes past the current message wait in the buffer.
//
// Memory and lifetimes: fed bytes are appended to one input buffer; consumed bytes are dropped when
// more are fed. When a head is complete it is copied once into a head buffer (at most
// max_header_block bytes) and the header views point there, so request()/response() and headers()
// stay valid across feeds, for the whole body, until the next headers_complete; trailers() likewise.
// body() is valid until the next feed(), prepare() or next_event().
//
// Strictness (see docs/design/http_codec.md): every line ends in CRLF (a bare LF is an error); no
// obs-fold; no whitespace before a colon; Content-Length together with Transfer-Encoding, differing
// Content-Length values, and Transfer-Encoding in HTTP/1.0 are rejected; a coding other than chunked
// is 501. Empty lines before a start line are skipped (RFC 9112 section 2.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fern/http/headers.hpp"
#include "fern/http/message.hpp"
#include "fern/http/parse_error.hpp"

namespace fern::http {

// Sizes a peer may not exceed; each is checked as soon as the bytes that break it arrive.
struct ParserLimits {
  std::size_t max_start_line = 8 * 1024;     // request/status line without CRLF (414)
  std::size_t max_header_block = 64 * 1024;  // start line + fields + CRLFs; also trailers (431)
  std::size_t max_header_count = 100;        // fields in the head; also in the trailers (431)
  std::uint64_t max_body = 64ull << 20;      // body bytes of one message, all chunks together (413)
  std::size_t max_chunk_line = 4 * 1024;     // a chunk size line with its extensions (400)
};

enum class ParseEvent {
  need_data,         // everything buffered is consumed: feed more bytes, or feed_eof()
  headers_complete,  // the head is parsed; body framing and keep_alive() are known
  body,              // body() holds the next piece of the body (never empty)
  message_complete,  // the body (and trailers) ended; the next call starts the next message
  closed,            // no further message: clean EOF, a message that closes, or an upgrade
  error,             // error() says why; the parser stays in this state
};

class MessageParser {
 public:
  MessageParser(MessageParser&&) noexcept = default;
  MessageParser& operator=(MessageParser&&) noexcept = default;

  // Appends received bytes. After an error they are dropped.
  void feed(std::string_view bytes);
  // Receive in place: prepare(n) returns room for up to n bytes at the end of the input buffer;
  // commit(k) then appends the first k of them (k <= n). Saves the copy feed() makes.
  std::span<char> prepare(std::size_t max_bytes);
  void commit(std::size_t bytes);
  // The peer closed its sending side: no more bytes will come.
  void feed_eof() noexcept { eof_ = true; }

  // Parses as far as the buffered bytes allow and returns the next event.
  ParseEvent next_event();

  // The piece of body from the last body event.
  std::string_view body() const noexcept { return body_; }
  // Trailer fields of a chunked message (after its message_complete); empty otherwise.
  Headers trailers() const noexcept { return Headers(trailer_fields_); }

  // Framing of the current message, valid from headers_complete on.
  BodyKind body_kind() const noexcept { return body_kind_; }
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
  // Whether the connection stays open after this message: HTTP/1.1 unless "Connection: close";
  // HTTP/1.0 only with "Connection: keep-alive"; never for a body that ends at close.
  bool keep_alive() const noexcept { return keep_alive_; }

  std::error_code error() const noexcept { return error_; }
  ParseError error_kind() const noexcept { return static_cast<ParseError>(error_.value()); }
  // The status a server answers with after an error event (400, 413, 414, 431, 501, 505).
  int error_status() const noexcept { return http::error_status(error_kind()); }

  // Bytes received but not yet consumed by a message, e.g. the first bytes of another protocol
  // after an upgrade. take_buffered() removes and returns them.
  std::string_view buffered() const noexcept;
  std::string take_buffered();

  const ParserLimits& limits() const noexcept { return limits_; }

 protected:
  enum class Role : std::uint8_t { request, response };
  MessageParser(Role role, const ParserLimits& limits);
  ~MessageParser() = default;

  // The three space-separated parts of the start line of the current message, as views into the
  // head buffer: method, target, version (request) or version, status, reason (response).
  std::string_view start_part(int index) const noexcept;
  Version version() const noexcept { return version_; }
  int status() const noexcept { return status_; }
  Headers headers() const noexcept { return Headers(fields_); }
  bool has_upgrade() const noexcept { return upgrade_; }

  // Client side: the method of each request sent, in order, so HEAD and CONNECT responses are framed.
  void push_request_method(std::string_view method);

 private:
  enum class State : std::uint8_t {
    head,
    body_length,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    body_until_close,
    message_done,
    closed,
    failed,
  };
  enum class ScanStatus : std::uint8_t { need_more, done, failed };
  enum class PendingMethod : std::uint8_t { other, head, connect };

  // Progress through a block of lines (a head or the trailers); offsets are relative to pos_.
  struct BlockScan {
    std::size_t scan = 0;        // first byte not yet searched for LF
    std::size_t line_start = 0;  // start of the line being read
    bool start_line_done = false;
    std::size_t fields = 0;
  };
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };
  struct FieldSpans {
    Span name;
    Span value;
  };
  struct Framing {
    std::optional<std::uint64_t> content_length;
    bool transfer_encoding = false;
    bool chunked = false;
    bool close = false;
    bool keep_alive = false;
    bool upgrade = false;
    std::size_t hosts = 0;
  };

  // head_parser.cpp: lines of a head or a trailer block, and the framing the head implies.
  ScanStatus scan_block(bool trailers);
  bool check_partial_line(const BlockScan& s, bool trailers);
  ScanStatus take_line(std::size_t line_end, bool trailers);
  bool parse_start_line(std::string_view line);
  bool parse_request_line(std::string_view line);
  bool parse_status_line(std::string_view line);
  bool parse_version(std::string_view text);
  bool parse_field_line(std::string_view line, std::size_t line_offset);
  ParseEvent finish_head();
  void copy_block(std::size_t length, std::vector<char>& buffer, std::vector<HeaderField>& fields);
  bool collect_framing(Framing& framing);
  bool decide_body(const Framing& framing);

  // message_parser.cpp: bodies and the end of a message. Each step returns the event to report, or
  // nothing when it only moved to another state.
  using Step = std::optional<ParseEvent>;
  Step step();
  Step read_head();
  Step need_data();
  ParseEvent deliver_body(std::size_t bytes);
  Step read_length_body();
  Step read_chunk_size();
  bool parse_chunk_line(std::string_view line);
  Step read_chunk_data();
  Step read_chunk_data_end();
  Step read_trailers();
  Step read_until_close();
  ParseEvent complete_message();
  ParseEvent fail(ParseError e);
  bool reject(ParseError e) { return fail(e), false; }
  ScanStatus fail_scan(ParseError e) { return fail(e), ScanStatus::failed; }
  void compact();
  std::size_t available() const noexcept { return in_.size() - prepared_ - pos_; }

  Role role_;
  State state_ = State::head;
  bool eof_ = false;
  ParserLimits limits_;

  std::vector<char> in_;  // received bytes; [pos_, size) not yet consumed
  std::size_t pos_ = 0;
  std::size_t prepared_ = 0;  // bytes handed out by prepare() and not yet committed
  BlockScan scan_;
  std::vector<FieldSpans> field_spans_;
  Span start_parts_[3];

  // The current message's head and trailers: owned copies, and views into them.
  std::vector<char> head_;
  std::vector<HeaderField> fields_;
  std::vector<char> trailer_buffer_;
  std::vector<HeaderField> trailer_fields_;
  std::string_view body_;

  Version version_;
  int status_ = 0;
  BodyKind body_kind_ = BodyKind::none;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t remaining_ = 0;  // bytes left in a Content-Length body or the current chunk
  std::uint64_t body_total_ = 0;
  bool keep_alive_ = true;
  bool upgrade_ = false;
  bool interim_ = false;        // a 1xx response: the final response follows
  std::size_t chunk_scan_ = 0;  // bytes of the chunk size line already searched for LF
  std::deque<PendingMethod> pending_methods_;
  std::error_code error_;
};

}  // namespace fern::http
