// ReplyError: the server answered a command with an error reply (-ERR ..., -WRONGTYPE ...). It is a
// std::system_error in the "redis" category (redis::Errc::error_reply) whose what() is the server's
// message, and prefix() is its first word ("ERR", "WRONGTYPE", "NOSCRIPT"), by which callers
// decide. The server received the command and refused it, so an error reply means "not applied"
// without saying so (a MULTI/EXEC or a script may have applied part of its work before the error,
// which the reply itself tells). Failures of the connection itself (lost, timed out, malformed
// bytes) are fern::OperationError in fern's or the system's category, carrying their outcome, never
// ReplyError.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace fern::redis {

enum class Errc {
  error_reply = 1,  // the server rejected the command
};

const std::error_category& redis_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), redis_category()}; }

class ReplyError : public std::system_error {
 public:
  // `message` is the error reply's text without the leading '-'.
  explicit ReplyError(std::string_view message);
  const std::string& message() const noexcept { return message_; }
  // The server's message alone.
  const char* what() const noexcept override { return message_.c_str(); }
  // The error code word Redis puts first: "ERR", "WRONGTYPE", "EXECABORT", ...
  std::string_view prefix() const noexcept;

 private:
  std::string message_;
};

}  // namespace fern::redis

template <>
struct std::is_error_code_enum<fern::redis::Errc> : std::true_type {};
