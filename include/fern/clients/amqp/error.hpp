// AMQP errors: the broker's reply codes (connection.close and channel.close carry a code, a text
// and the method that caused them) as std::error_code values in amqp_category(), and the two
// exceptions that carry the rest:
//   ChannelError     the broker closed one channel (404 not found, 406 precondition failed, 403
//                    access refused, ...): that channel is unusable, the connection goes on.
//   ConnectionError  the broker closed the connection (320 connection forced, 501 frame error, 530
//                    not allowed, ...), or refused the login (403 ACCESS_REFUSED): every channel
//                    failed with it.
// Both are std::system_error, so a caller can test `e.code() == fern::amqp::ReplyCode::not_found`.
// Losing the socket (EOF, a reset, a heartbeat timeout, malformed frames) is a plain
// std::system_error in fern's or the system's category (Errc::unexpected_eof, Errc::timed_out,
// Errc::protocol_error, ECONNRESET), never one of these.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace fern::amqp {

// The reply codes of AMQP 0-9-1 (constants of the spec).
enum class ReplyCode : int {
  success = 200,
  content_too_large = 311,
  no_route = 312,
  no_consumers = 313,
  connection_forced = 320,
  invalid_path = 402,
  access_refused = 403,
  not_found = 404,
  resource_locked = 405,
  precondition_failed = 406,
  frame_error = 501,
  syntax_error = 502,
  command_invalid = 503,
  channel_error = 504,
  unexpected_frame = 505,
  resource_error = 506,
  not_allowed = 530,
  not_implemented = 540,
  internal_error = 541,
};

const std::error_category& amqp_category() noexcept;
inline std::error_code make_error_code(ReplyCode c) noexcept {
  return {static_cast<int>(c), amqp_category()};
}

// What the broker said when it closed a channel or the connection.
struct CloseReason {
  std::uint16_t reply_code = 0;
  std::string reply_text;
  std::uint16_t class_id = 0;  // the method that caused it (0 when none)
  std::uint16_t method_id = 0;
};

class ChannelError : public std::system_error {
 public:
  ChannelError(CloseReason reason, const std::string& what);
  const CloseReason& reason() const noexcept { return reason_; }
  std::uint16_t reply_code() const noexcept { return reason_.reply_code; }
  const std::string& reply_text() const noexcept { return reason_.reply_text; }

 private:
  CloseReason reason_;
};

class ConnectionError : public std::system_error {
 public:
  ConnectionError(CloseReason reason, const std::string& what);
  const CloseReason& reason() const noexcept { return reason_; }
  std::uint16_t reply_code() const noexcept { return reason_.reply_code; }
  const std::string& reply_text() const noexcept { return reason_.reply_text; }

 private:
  CloseReason reason_;
};

}  // namespace fern::amqp

template <>
struct std::is_error_code_enum<fern::amqp::ReplyCode> : std::true_type {};
