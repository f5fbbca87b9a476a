#include "fern/clients/amqp/error.hpp"

namespace fern::amqp {
namespace {

class AmqpCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "amqp"; }
  std::string message(int code) const override {
    switch (static_cast<ReplyCode>(code)) {
      case ReplyCode::success: return "success";
      case ReplyCode::content_too_large: return "CONTENT_TOO_LARGE";
      case ReplyCode::no_route: return "NO_ROUTE";
      case ReplyCode::no_consumers: return "NO_CONSUMERS";
      case ReplyCode::connection_forced: return "CONNECTION_FORCED";
      case ReplyCode::invalid_path: return "INVALID_PATH";
      case ReplyCode::access_refused: return "ACCESS_REFUSED";
      case ReplyCode::not_found: return "NOT_FOUND";
      case ReplyCode::resource_locked: return "RESOURCE_LOCKED";
      case ReplyCode::precondition_failed: return "PRECONDITION_FAILED";
      case ReplyCode::frame_error: return "FRAME_ERROR";
      case ReplyCode::syntax_error: return "SYNTAX_ERROR";
      case ReplyCode::command_invalid: return "COMMAND_INVALID";
      case ReplyCode::channel_error: return "CHANNEL_ERROR";
      case ReplyCode::unexpected_frame: return "UNEXPECTED_FRAME";
      case ReplyCode::resource_error: return "RESOURCE_ERROR";
      case ReplyCode::not_allowed: return "NOT_ALLOWED";
      case ReplyCode::not_implemented: return "NOT_IMPLEMENTED";
      case ReplyCode::internal_error: return "INTERNAL_ERROR";
    }
    return "reply code " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& amqp_category() noexcept {
  static const AmqpCategory category;
  return category;
}

ChannelError::ChannelError(CloseReason reason, const std::string& what)
    : std::system_error(std::error_code(reason.reply_code, amqp_category()), what),
      reason_(std::move(reason)) {}

ConnectionError::ConnectionError(CloseReason reason, const std::string& what)
    : std::system_error(std::error_code(reason.reply_code, amqp_category()), what),
      reason_(std::move(reason)) {}

}  // namespace fern::amqp
