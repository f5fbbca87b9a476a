#include "fern/clients/mysql/error.hpp"

#include <string>

namespace fern::mysql {

namespace {

// The message travels in Error::what(); the category only names the number's origin.
class ServerCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "mysql.server"; }
  std::string message(int code) const override { return "server error " + std::to_string(code); }
};

class ClientCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "mysql.client"; }
  std::string message(int code) const override { return "client error " + std::to_string(code); }
};

}  // namespace

const std::error_category& server_category() noexcept {
  static const ServerCategory category;
  return category;
}

const std::error_category& client_category() noexcept {
  static const ClientCategory category;
  return category;
}

}  // namespace fern::mysql
