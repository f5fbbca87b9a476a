#include "fern/base/error.hpp"

#include <cerrno>

namespace fern {
namespace {

class FernCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "fern"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok: return "success";
      case Errc::timed_out: return "timed out";
      case Errc::cancelled: return "cancelled";
      case Errc::closed: return "closed while waiting";
      case Errc::would_block: return "operation would block";
      case Errc::not_in_greenlet: return "cannot block here: not inside a greenlet the hub can resume";
      case Errc::wrong_thread: return "object used from a thread other than its hub's";
      case Errc::protocol_error: return "protocol error";
      case Errc::limit_exceeded: return "size limit exceeded";
      case Errc::resource_exhausted: return "resource exhausted";
      case Errc::invalid_argument: return "invalid argument";
      case Errc::unexpected_eof: return "the peer closed the connection before the expected data arrived";
      case Errc::closed_behind_hub:
        return "the descriptor was closed with plain close() while the hub watched it (close it with "
               "fern::close_fd)";
    }
    return "unknown fern error";
  }
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<Errc>(value)) {
      case Errc::timed_out: return std::errc::timed_out;
      case Errc::cancelled: return std::errc::operation_canceled;
      case Errc::would_block: return std::errc::operation_would_block;
      case Errc::resource_exhausted: return std::errc::not_enough_memory;
      case Errc::invalid_argument: return std::errc::invalid_argument;
      case Errc::closed_behind_hub: return std::errc::bad_file_descriptor;
      default: return {value, *this};
    }
  }
};

}  // namespace

const std::error_category& fern_category() noexcept {
  static const FernCategory category;
  return category;
}

void throw_error(std::error_code ec, const char* what) { throw std::system_error(ec, what); }

std::string describe_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

void throw_errno(const char* what) { throw std::system_error(errno, std::system_category(), what); }

}  // namespace fern
