#include "fern/net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/net/address.hpp"
#include "fern/net/create_connection.hpp"
#include "tls_internal.hpp"

namespace fern::net {

struct TlsSocket::Session {
  Socket socket;
  SSL* ssl = nullptr;
  TlsSessionAnchor anchor;
  std::string peer;  // for error messages: the host name, or the client's address

  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { SSL_free(ssl); }  // before the socket closes (members go after the body)
};

namespace {

// --- a BIO over the socket's descriptor
// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE on a reset connection; this
// one sends with MSG_NOSIGNAL, as Socket does, and never closes the descriptor (the Socket owns it).

int descriptor_of(BIO* bio) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio))); }

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::send(descriptor_of(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && would_block(errno)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::recv(descriptor_of(bio), data, static_cast<std::size_t>(size), 0);
  if (n < 0 && would_block(errno)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long bio_ctrl(BIO* bio, int command, long, void* ptr) {
  switch (command) {
    case BIO_CTRL_FLUSH: return 1;  // nothing is buffered here
    case BIO_C_GET_FD:
      if (ptr != nullptr) *static_cast<int*>(ptr) = descriptor_of(bio);
      return descriptor_of(bio);
    default: return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "fern socket");
    if (m == nullptr) throw_tls_error("fern: BIO_meth_new");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

// --- driving OpenSSL on the hub

enum class Step { handshake, read, write, shutdown };

// Why an operation failed, once OpenSSL said SSL_ERROR_SSL.
std::error_code ssl_failure(SSL* ssl, Step step) {
  unsigned long first = ERR_peek_error();
  if (ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    ERR_clear_error();
    // After the handshake a missing close_notify is an ordinary end of stream (see the header).
    return step == Step::read ? std::error_code() : make_error_code(Errc::unexpected_eof);
  }
  if (step == Step::handshake) {
    long verdict = SSL_get_verify_result(ssl);
    if (verdict != X509_V_OK) {
      ERR_clear_error();
      return {static_cast<int>(verdict), tls_verify_category()};
    }
  }
  return take_tls_error(make_error_code(Errc::protocol_error));
}

// Runs `op` (one OpenSSL call) until it makes progress, parking the greenlet whenever OpenSSL wants
// the socket readable or writable. The deadline (`timeout` from the first wait) bounds the whole
// call, however many waits it takes. Returns op's positive result, or 0 with `ec` clear at end of
// stream, or 0 with `ec` set.
template <class Op>
int drive(TlsSocket::Session& s, Step step, Duration timeout, std::error_code& ec, Op op) {
  ec.clear();
  TimePoint deadline{};
  bool have_deadline = false;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int result = op();
    if (result > 0) return result;
    std::uint32_t events = 0;
    switch (SSL_get_error(s.ssl, result)) {
      case SSL_ERROR_WANT_READ: events = io_events::readable; break;
      case SSL_ERROR_WANT_WRITE: events = io_events::writable; break;
      case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
        if (step == Step::handshake) ec = make_error_code(Errc::unexpected_eof);
        return 0;
      case SSL_ERROR_SYSCALL: {
        int saved = errno;
        ec = take_tls_error(saved != 0 ? std::error_code(saved, std::system_category())
                                       : make_error_code(Errc::unexpected_eof));
        if (step == Step::read && ec == Errc::unexpected_eof) ec.clear();
        return 0;
      }
      case SSL_ERROR_SSL: ec = ssl_failure(s.ssl, step); return 0;
      default: ec = take_tls_error(make_error_code(Errc::protocol_error)); return 0;
    }
    if (!have_deadline) {
      deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
      have_deadline = true;
    }
    if (std::error_code wait_ec = wait_fd(s.socket.fd(), events, deadline)) {
      ec = wait_ec;
      return 0;
    }
  }
}

std::unique_ptr<TlsSocket::Session> new_session(Socket socket, const TlsContext& context, std::string peer) {
  if (!socket.is_open())
    throw_error(std::make_error_code(std::errc::bad_file_descriptor), "fern: TLS over a closed socket");
  auto session = std::make_unique<TlsSocket::Session>();
  session->socket = std::move(socket);
  session->peer = std::move(peer);
  ERR_clear_error();
  session->ssl = SSL_new(context.native_handle());
  if (session->ssl == nullptr) throw_tls_error("fern: SSL_new");
  BIO* bio = BIO_new(socket_bio_method());
  if (bio == nullptr) throw_tls_error("fern: BIO_new");
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(session->socket.fd())));
  SSL_set_bio(session->ssl, bio, bio);  // one reference serves both directions
  session->anchor.contexts.push_back(context.state());
  SSL_set_app_data(session->ssl, &session->anchor);
  return session;
}

// Client side: SNI for names (never for IP literals, RFC 6066) and what the certificate must name.
void expect_peer(SSL* ssl, const TlsContext& context, std::string_view host, std::error_code& ec) {
  std::string name(host);
  bool is_ip = Address::parse(name, 0).has_value();
  if (!is_ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    ec = take_tls_error(make_error_code(Errc::invalid_argument));
    return;
  }
  if (!context.verify_peer()) return;
  if (name.empty()) {
    ec = make_error_code(Errc::invalid_argument);  // verifying a chain without a name proves nothing
    return;
  }
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str())
                 : SSL_set1_host(ssl, name.c_str());
  if (ok != 1) ec = take_tls_error(make_error_code(Errc::invalid_argument));
}

std::string handshake_context(const std::string& peer, const std::error_code& ec) {
  std::string what = "fern: TLS handshake with " + peer;
  if (ec.category() == tls_verify_category()) what += ": certificate verify failed";
  return what;
}

std::string peer_of(const Socket& socket) {
  try {
    return socket.peer_address().to_string();
  } catch (const std::system_error&) {
    return "an unconnected peer";
  }
}

}  // namespace

TlsSocket::TlsSocket() noexcept = default;
TlsSocket::TlsSocket(std::unique_ptr<Session> session) noexcept : session_(std::move(session)) {}
TlsSocket::TlsSocket(TlsSocket&&) noexcept = default;
TlsSocket& TlsSocket::operator=(TlsSocket&&) noexcept = default;
TlsSocket::~TlsSocket() = default;

TlsSocket TlsSocket::connect(Socket socket, const TlsContext& context, std::string_view host,
                             Duration handshake_timeout) {
  std::string peer(host);
  std::error_code ec;
  TlsSocket tls = connect(std::move(socket), context, host, handshake_timeout, ec);
  if (ec) throw std::system_error(ec, handshake_context(peer, ec));
  return tls;
}

TlsSocket TlsSocket::connect(Socket socket, const TlsContext& context, std::string_view host,
                             Duration handshake_timeout, std::error_code& ec) {
  ec.clear();
  if (context.role() != TlsRole::client) {
    ec = make_error_code(Errc::invalid_argument);
    return {};
  }
  auto session = new_session(std::move(socket), context, std::string(host));
  expect_peer(session->ssl, context, host, ec);
  if (ec) return {};
  SSL_set_connect_state(session->ssl);
  drive(*session, Step::handshake, handshake_timeout, ec,
        [ssl = session->ssl] { return SSL_do_handshake(ssl); });
  if (ec) return {};
  return TlsSocket(std::move(session));
}

TlsSocket TlsSocket::accept(Socket socket, const TlsContext& context, Duration handshake_timeout) {
  std::string peer = peer_of(socket);
  std::error_code ec;
  TlsSocket tls = accept(std::move(socket), context, handshake_timeout, ec);
  if (ec) throw std::system_error(ec, handshake_context(peer, ec));
  return tls;
}

TlsSocket TlsSocket::accept(Socket socket, const TlsContext& context, Duration handshake_timeout,
                            std::error_code& ec) {
  ec.clear();
  if (context.role() != TlsRole::server) {
    ec = make_error_code(Errc::invalid_argument);
    return {};
  }
  auto session = new_session(std::move(socket), context, {});
  SSL_set_accept_state(session->ssl);
  drive(*session, Step::handshake, handshake_timeout, ec,
        [ssl = session->ssl] { return SSL_do_handshake(ssl); });
  if (ec) return {};
  return TlsSocket(std::move(session));
}

bool TlsSocket::is_open() const noexcept { return session_ && session_->socket.is_open(); }
Socket& TlsSocket::socket() noexcept { return session_->socket; }
SSL* TlsSocket::native_handle() const noexcept { return session_ ? session_->ssl : nullptr; }

std::string TlsSocket::alpn_protocol() const {
  const unsigned char* name = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(session_->ssl, &name, &length);
  return name == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(name), length);
}

std::string TlsSocket::server_name() const {
  const char* name = SSL_get_servername(session_->ssl, TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string() : std::string(name);
}

std::string TlsSocket::peer_subject() const {
  X509* certificate = SSL_get0_peer_certificate(session_->ssl);
  if (certificate == nullptr) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  if (!out) throw_tls_error("fern: BIO_new");
  X509_NAME_print_ex(out.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* text = nullptr;
  long length = BIO_get_mem_data(out.get(), &text);
  return std::string(text, static_cast<std::size_t>(length));
}

std::string TlsSocket::protocol_version() const { return SSL_get_version(session_->ssl); }
std::string TlsSocket::cipher() const { return SSL_get_cipher_name(session_->ssl); }

std::size_t TlsSocket::read_some(void* data, std::size_t size, std::error_code& ec) {
  ec.clear();
  if (!is_open()) {
    ec = make_error_code(Errc::closed);
    return 0;
  }
  if (size == 0) return 0;
  int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  int n = drive(*session_, Step::read, timeout(), ec, [&] { return SSL_read(session_->ssl, data, length); });
  return static_cast<std::size_t>(n);
}

std::size_t TlsSocket::write_some(const void* data, std::size_t size, std::error_code& ec) {
  ec.clear();
  if (!is_open()) {
    ec = make_error_code(Errc::closed);
    return 0;
  }
  if (size == 0) return 0;
  int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  int n =
      drive(*session_, Step::write, timeout(), ec, [&] { return SSL_write(session_->ssl, data, length); });
  if (n == 0 && !ec) ec = make_error_code(Errc::unexpected_eof);  // the peer closed the session
  return static_cast<std::size_t>(n);
}

void TlsSocket::shutdown_write(std::error_code& ec) {
  ec.clear();
  if (!is_open()) {
    ec = make_error_code(Errc::closed);
    return;
  }
  // SSL_shutdown answers 0 once our close_notify is out but the peer's has not come: that is done.
  drive(*session_, Step::shutdown, timeout(), ec, [ssl = session_->ssl] {
    int result = SSL_shutdown(ssl);
    return result >= 0 ? 1 : result;
  });
}

void TlsSocket::close() noexcept {
  if (session_) session_->socket.close();
}

void TlsSocket::set_timeout(Duration timeout) noexcept {
  if (session_) session_->socket.set_timeout(timeout);
}

Duration TlsSocket::timeout() const noexcept { return session_ ? session_->socket.timeout() : kForever; }

std::size_t TlsSocket::read_some(void* data, std::size_t size) {
  std::error_code ec;
  std::size_t n = read_some(data, size, ec);
  if (ec) throw std::system_error(ec, "fern: TLS read");
  return n;
}

void TlsSocket::write_all(std::string_view data) {
  while (!data.empty()) {
    std::error_code ec;
    std::size_t n = write_some(data.data(), data.size(), ec);
    if (ec) throw std::system_error(ec, "fern: TLS write");
    data.remove_prefix(n);
  }
}

void TlsSocket::shutdown_write() {
  std::error_code ec;
  shutdown_write(ec);
  if (ec) throw std::system_error(ec, "fern: TLS close_notify");
}

TlsSocket tls_connect(std::string_view host, std::uint16_t port, const TlsContext& context,
                      Duration timeout) {
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  Socket socket = create_connection(host, port, timeout);
  Duration left = kForever;
  if (deadline != TimePoint::max()) {
    left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    if (left <= Duration::zero()) throw_error(Errc::timed_out, "fern: TLS connect timed out");
  }
  return TlsSocket::connect(std::move(socket), context, host, left);
}

}  // namespace fern::net
