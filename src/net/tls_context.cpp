#include "fern/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstring>
#include <string>

#include "fern/base/error.hpp"
#include "tls_internal.hpp"

namespace fern::net {

struct TlsContext::State {
  SSL_CTX* ctx = nullptr;
  TlsRole role;
  bool verify_peer;
  std::vector<std::string> alpn;
  std::string alpn_wire;  // length-prefixed, as the ALPN extension carries it
  ServerNameCallback on_server_name;

  explicit State(TlsRole r) : role(r), verify_peer(r == TlsRole::client) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { SSL_CTX_free(ctx); }
};

namespace {

class TlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int value) const override {
    char text[256];
    ERR_error_string_n(static_cast<unsigned long>(value), text, sizeof text);
    return text;
  }
};

class TlsVerifyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls-verify"; }
  std::string message(int value) const override { return X509_verify_cert_error_string(value); }
};

void apply_verify_mode(TlsContext::State& state) {
  int mode = SSL_VERIFY_NONE;
  if (state.verify_peer) {
    mode = SSL_VERIFY_PEER;
    if (state.role == TlsRole::server) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(state.ctx, mode, nullptr);
}

// The server's ALPN choice: its own order of preference, the first the client also offers.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned offered_length, void* arg) {
  auto* state = static_cast<TlsContext::State*>(arg);
  const auto* preferred = reinterpret_cast<const unsigned char*>(state->alpn_wire.data());
  auto preferred_length = static_cast<unsigned>(state->alpn_wire.size());
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, preferred, preferred_length, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

int on_server_name_seen(SSL* ssl, int*, void* arg) {
  auto* state = static_cast<TlsContext::State*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr || !state->on_server_name) return SSL_TLSEXT_ERR_OK;
  try {
    std::optional<TlsContext> other = state->on_server_name(name);
    if (other && other->native_handle() != state->ctx) {
      // SSL_set_SSL_CTX keeps the SSL_CTX alive; the session keeps the State its callbacks point to.
      if (auto* anchor = static_cast<TlsSessionAnchor*>(SSL_get_app_data(ssl)))
        anchor->contexts.push_back(other->state());
      SSL_set_SSL_CTX(ssl, other->native_handle());
    }
  } catch (...) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // nothing may unwind through OpenSSL
  }
  return SSL_TLSEXT_ERR_OK;
}

void check_ok(int result, const char* what, std::string_view path = {}) {
  if (result == 1) return;
  std::string context = what;
  if (!path.empty()) context += " '" + std::string(path) + "'";
  throw_tls_error(context);
}

}  // namespace

const std::error_category& tls_category() noexcept {
  static const TlsCategory category;
  return category;
}

const std::error_category& tls_verify_category() noexcept {
  static const TlsVerifyCategory category;
  return category;
}

TlsContext::TlsContext(TlsRole role) : state_(std::make_shared<State>(role)) {
  ERR_clear_error();
  state_->ctx = SSL_CTX_new(role == TlsRole::client ? TLS_client_method() : TLS_server_method());
  if (state_->ctx == nullptr) throw_tls_error("fern: SSL_CTX_new");
  SSL_CTX* ctx = state_->ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // One recv fills OpenSSL's buffer instead of one for the record header and one for its body;
  // writes may return after a record (write_some), and a retried write may use a moved buffer.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  apply_verify_mode(*state_);
  if (role == TlsRole::server) {
    SSL_CTX_set_tlsext_servername_callback(ctx, on_server_name_seen);
    SSL_CTX_set_tlsext_servername_arg(ctx, state_.get());
  }
}

TlsContext TlsContext::client() {
  TlsContext context(TlsRole::client);
  context.trust_system_store();
  return context;
}

TlsContext TlsContext::client(std::string_view ca_file) {
  TlsContext context(TlsRole::client);
  context.trust_file(ca_file);
  return context;
}

TlsContext TlsContext::server(std::string_view certificate_chain_file, std::string_view key_file) {
  TlsContext context(TlsRole::server);
  context.use_certificate(certificate_chain_file, key_file);
  return context;
}

TlsRole TlsContext::role() const noexcept { return state_->role; }
SSL_CTX* TlsContext::native_handle() const noexcept { return state_->ctx; }
bool TlsContext::verify_peer() const noexcept { return state_->verify_peer; }
const std::vector<std::string>& TlsContext::alpn_protocols() const noexcept { return state_->alpn; }

void TlsContext::trust_file(std::string_view ca_file) {
  ERR_clear_error();
  std::string path(ca_file);
  check_ok(SSL_CTX_load_verify_locations(state_->ctx, path.c_str(), nullptr), "fern: loading CA file", path);
}

void TlsContext::trust_directory(std::string_view ca_directory) {
  ERR_clear_error();
  std::string path(ca_directory);
  check_ok(SSL_CTX_load_verify_locations(state_->ctx, nullptr, path.c_str()), "fern: loading CA directory",
           path);
}

void TlsContext::trust_system_store() {
  ERR_clear_error();
  check_ok(SSL_CTX_set_default_verify_paths(state_->ctx), "fern: loading the system CA store");
}

void TlsContext::use_certificate(std::string_view certificate_chain_file, std::string_view key_file) {
  ERR_clear_error();
  std::string chain(certificate_chain_file);
  std::string key(key_file);
  check_ok(SSL_CTX_use_certificate_chain_file(state_->ctx, chain.c_str()), "fern: loading certificate chain",
           chain);
  check_ok(SSL_CTX_use_PrivateKey_file(state_->ctx, key.c_str(), SSL_FILETYPE_PEM),
           "fern: loading private key", key);
  check_ok(SSL_CTX_check_private_key(state_->ctx), "fern: private key does not match certificate", key);
}

void TlsContext::set_verify_peer(bool on) {
  state_->verify_peer = on;
  apply_verify_mode(*state_);
}

void TlsContext::set_min_version(TlsVersion version) {
  SSL_CTX_set_min_proto_version(state_->ctx, version == TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
}

void TlsContext::set_alpn_protocols(std::vector<std::string> protocols) {
  std::string wire;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255)
      throw_error(Errc::invalid_argument, "fern: ALPN protocol names are 1-255 bytes");
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  state_->alpn = std::move(protocols);
  state_->alpn_wire = std::move(wire);
  if (state_->role == TlsRole::client) {
    // SSL_CTX_set_alpn_protos returns 0 on success, unlike most of OpenSSL.
    if (SSL_CTX_set_alpn_protos(state_->ctx, reinterpret_cast<const unsigned char*>(state_->alpn_wire.data()),
                                static_cast<unsigned>(state_->alpn_wire.size())) != 0)
      throw_tls_error("fern: setting ALPN protocols");
  } else if (state_->alpn.empty()) {
    SSL_CTX_set_alpn_select_cb(state_->ctx, nullptr, nullptr);
  } else {
    SSL_CTX_set_alpn_select_cb(state_->ctx, select_alpn, state_.get());
  }
}

void TlsContext::on_server_name(ServerNameCallback callback) { state_->on_server_name = std::move(callback); }

}  // namespace fern::net
