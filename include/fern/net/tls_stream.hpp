// TlsSocket: a TLS session over a connected non-blocking Socket, a Transport like the Socket itself,
// so a Stream buffers it the same way. OpenSSL reads and writes the descriptor directly (no memory
// BIOs, no extra copy); when it wants the socket readable or writable, only the calling greenlet
// parks on the hub (wait_fd) and the call is retried. The handshake waits at most its timeout in
// total; each later read or write waits at most the transport's timeout (set_timeout), then fails
// with Errc::timed_out.
//
// A client sends the host name (SNI, unless it is an IP literal) and, with verification on (the
// default), checks the chain and that the certificate names that host or IP. Failures throw
// std::system_error: verification in tls_verify_category() (X509_V_ERR_*, "certificate has expired"),
// other TLS errors in tls_category() with OpenSSL's text, a peer that closes during the handshake
// with Errc::unexpected_eof. After the handshake a peer that closes without close_notify reads as end
// of stream, as Python's ssl module does by default (ragged EOFs; the protocol above decides whether
// the message was complete).
//
//   TlsContext ctx = TlsContext::client();
//   Stream s(std::make_unique<TlsSocket>(tls_connect("example.org", 443, ctx, 10s)));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/base/clock.hpp"
#include "fern/net/socket.hpp"
#include "fern/net/tls_context.hpp"
#include "fern/net/transport.hpp"

using SSL = struct ssl_st;

namespace fern::net {

class TlsSocket final : public Transport {
 public:
  TlsSocket() noexcept;
  TlsSocket(TlsSocket&&) noexcept;
  TlsSocket& operator=(TlsSocket&&) noexcept;
  ~TlsSocket() override;

  // Client handshake over `socket` (connected), verifying the peer as `host` when the context says
  // so. The socket keeps its timeout for later reads and writes.
  static TlsSocket connect(Socket socket, const TlsContext& context, std::string_view host,
                           Duration handshake_timeout = kForever);
  static TlsSocket connect(Socket socket, const TlsContext& context, std::string_view host,
                           Duration handshake_timeout, std::error_code& ec);
  // Server handshake over an accepted socket.
  static TlsSocket accept(Socket socket, const TlsContext& context, Duration handshake_timeout = kForever);
  static TlsSocket accept(Socket socket, const TlsContext& context, Duration handshake_timeout,
                          std::error_code& ec);

  bool is_open() const noexcept;
  explicit operator bool() const noexcept { return is_open(); }
  Socket& socket() noexcept;

  // --- what the handshake settled
  // The ALPN protocol chosen ("h2"), empty when none.
  std::string alpn_protocol() const;
  // The name the client asked for (SNI): on a server what the client sent, on a client what it sent.
  std::string server_name() const;
  // The peer certificate's subject ("CN=localhost,O=fern"), empty when it sent none.
  std::string peer_subject() const;
  // "TLSv1.3", and the cipher suite's name.
  std::string protocol_version() const;
  std::string cipher() const;

  // --- the Transport interface
  std::size_t read_some(void* data, std::size_t size, std::error_code& ec) override;
  std::size_t write_some(const void* data, std::size_t size, std::error_code& ec) override;
  // Sends close_notify (waiting at most the timeout for the socket to take it); reads go on.
  void shutdown_write(std::error_code& ec) override;
  // Closes the socket at once (no close_notify: call shutdown_write first for a clean close).
  void close() noexcept override;
  void set_timeout(Duration timeout) noexcept override;
  Duration timeout() const noexcept override;

  // Throwing forms.
  std::size_t read_some(void* data, std::size_t size);
  void write_all(std::string_view data);
  void shutdown_write();

  SSL* native_handle() const noexcept;

  struct Session;  // the SSL object and its socket (opaque)

 private:
  explicit TlsSocket(std::unique_ptr<Session> session) noexcept;
  std::unique_ptr<Session> session_;
};

// Resolves `host`, connects (create_connection) and runs the client handshake, all within `timeout`,
// which also becomes the socket's timeout for later reads and writes.
TlsSocket tls_connect(std::string_view host, std::uint16_t port, const TlsContext& context,
                      Duration timeout = kForever);

}  // namespace fern::net
