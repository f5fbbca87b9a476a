// OpenSSL's per-thread error queue as std::error_code values. OpenSSL queues every step of a
// failure; the oldest entry is the cause ("certificate verify failed"), the rest is how it surfaced.
#include <openssl/err.h>

#include "tls_internal.hpp"

namespace fern::net {

std::error_code take_tls_error(std::error_code fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  if (ERR_SYSTEM_ERROR(code)) return {ERR_GET_REASON(code), std::system_category()};
  return {static_cast<int>(code), tls_category()};
}

void throw_tls_error(const std::string& what) {
  throw std::system_error(take_tls_error(std::make_error_code(std::errc::io_error)), what);
}

}  // namespace fern::net
