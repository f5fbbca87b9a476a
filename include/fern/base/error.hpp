// fern's error category: the conditions fern itself reports through std::error_code and
// std::system_error (timeouts, cancellation, closed objects, protocol violations). Errors from the
// kernel stay in std::system_category.
#pragma once

#include <exception>
#include <string>
#include <system_error>

namespace fern {

enum class Errc {
  ok = 0,
  timed_out = 1,       // a timeout given to a blocking call expired
  cancelled,           // the operation was cancelled (its greenlet was killed, its object closed)
  closed,              // the object was closed while the caller waited on it
  would_block,         // a non-blocking call could not proceed (put_nowait on a full queue, ...)
  not_in_greenlet,     // a call that must park was made where nothing can park
  wrong_thread,        // an object bound to one thread's hub was used from another thread
  protocol_error,      // the peer sent bytes the codec cannot accept
  limit_exceeded,      // a configured size limit was hit (header size, line length, ...)
  resource_exhausted,  // the kernel refused memory or mappings (stacks, descriptors)
  invalid_argument,
  unexpected_eof,  // the peer closed the stream before the data the caller needs arrived
  // A descriptor the hub watched was closed with plain close() instead of fern::close_fd, so the
  // wait on it could never end (the kernel dropped the registration without telling the hub).
  closed_behind_hub,
};

const std::error_category& fern_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), fern_category()}; }

// Throws std::system_error for `ec` with `what` as context. Out of line so callers stay small.
[[noreturn]] void throw_error(std::error_code ec, const char* what);
[[noreturn]] inline void throw_error(Errc e, const char* what) { throw_error(make_error_code(e), what); }
// What an exception says: its what(), or a fixed text for one not derived from std::exception.
std::string describe_exception(std::exception_ptr error);
// Throws std::system_error built from errno.
[[noreturn]] void throw_errno(const char* what);

}  // namespace fern

template <>
struct std::is_error_code_enum<fern::Errc> : std::true_type {};
