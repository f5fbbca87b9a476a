// What the TLS sources share and the public headers do not show: OpenSSL's error queue turned into
// std::system_error, and the anchor that keeps a session's contexts alive.
#pragma once

#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "fern/net/tls_context.hpp"

namespace fern::net {

// The oldest error on OpenSSL's queue (the root cause) as a tls_category() code; clears the queue.
// Falls back to `fallback` when the queue is empty.
std::error_code take_tls_error(std::error_code fallback);

// Throws std::system_error for the queued OpenSSL error with `what` as context.
[[noreturn]] void throw_tls_error(const std::string& what);

// Hung on each SSL (SSL_set_app_data): every context the session was served from, so the callback
// state of a context chosen by SNI lives as long as the session.
struct TlsSessionAnchor {
  std::vector<std::shared_ptr<TlsContext::State>> contexts;
};

}  // namespace fern::net
