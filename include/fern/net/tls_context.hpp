// TlsContext: the configuration TLS sessions are made from (OpenSSL's SSL_CTX): the role (client or
// server), whom to trust (a CA file or directory, or the system's default store), the certificate
// and key to present, ALPN protocols, the lowest protocol version (TLS 1.2 unless raised) and, on a
// server, an optional callback that picks a context by the name the client asked for (SNI).
// Verification is on by default: a client checks the server's chain and name; a server that turns
// verify_peer on requires a client certificate. Nothing here blocks; configuration errors throw
// std::system_error in tls_category() with OpenSSL's own message and the file name.
//
// Copies share one SSL_CTX (and its callbacks), so a context can be handed to many greenlets; every
// session keeps it alive. Configure it before the first session uses it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using SSL_CTX = struct ssl_ctx_st;

namespace fern::net {

enum class TlsRole { client, server };
enum class TlsVersion { tls1_2, tls1_3 };

class TlsContext {
 public:
  // The name a client sent (SNI); return the context to serve it with, or nullopt to keep this one.
  using ServerNameCallback = std::function<std::optional<TlsContext>(std::string_view server_name)>;

  // A bare context: verification on, TLS 1.2 at least, nothing trusted and no certificate yet.
  explicit TlsContext(TlsRole role);

  // A client that trusts the system's default store (/etc/ssl/certs).
  static TlsContext client();
  // A client that trusts only the CA certificates in `ca_file` (PEM).
  static TlsContext client(std::string_view ca_file);
  // A server presenting the PEM chain in `certificate_chain_file` (leaf first) with `key_file`.
  static TlsContext server(std::string_view certificate_chain_file, std::string_view key_file);

  TlsRole role() const noexcept;

  // --- trust
  void trust_file(std::string_view ca_file);
  void trust_directory(std::string_view ca_directory);  // c_rehash layout
  void trust_system_store();

  // --- identity: the chain and its private key; fails when they do not match
  void use_certificate(std::string_view certificate_chain_file, std::string_view key_file);

  // --- policy
  // Client: verify the server (on by default; turning it off is for tests and pinned peers only).
  // Server: request and require a client certificate (off by default).
  void set_verify_peer(bool on);
  bool verify_peer() const noexcept;
  void set_min_version(TlsVersion version);
  // Protocols offered (client) or accepted in order of preference (server), e.g. {"h2", "http/1.1"}.
  // A server with a list and a client with none of its protocols: the handshake goes on without ALPN.
  void set_alpn_protocols(std::vector<std::string> protocols);
  const std::vector<std::string>& alpn_protocols() const noexcept;
  // Server only: called during each handshake that carries SNI.
  void on_server_name(ServerNameCallback callback);

  SSL_CTX* native_handle() const noexcept;

  struct State;
  const std::shared_ptr<State>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<State> state_;
};

// OpenSSL's error codes (ERR_get_error's packed value) with OpenSSL's text as the message.
const std::error_category& tls_category() noexcept;
// Certificate verification results (X509_V_ERR_*) with X509_verify_cert_error_string's text.
const std::error_category& tls_verify_category() noexcept;

}  // namespace fern::net
