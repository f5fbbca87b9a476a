#include "fern/clients/redis/reply_error.hpp"

namespace fern::redis {
namespace {

class RedisCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int value) const override {
    return value == static_cast<int>(Errc::error_reply) ? "the server replied with an error"
                                                        : "unknown redis error";
  }
};

}  // namespace

const std::error_category& redis_category() noexcept {
  static const RedisCategory category;
  return category;
}

ReplyError::ReplyError(std::string_view message)
    : std::system_error(make_error_code(Errc::error_reply), std::string(message)), message_(message) {}

std::string_view ReplyError::prefix() const noexcept {
  std::string_view m = message_;
  return m.substr(0, m.find(' '));
}

}  // namespace fern::redis
