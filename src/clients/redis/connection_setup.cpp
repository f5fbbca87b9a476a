// Connecting a ConnectionCore: the socket, the handshake (HELLO / AUTH / CLIENT SETNAME / SELECT)
// and the backoff between failed attempts.
#include <algorithm>
#include <optional>

#include "connection_core.hpp"
#include "fern/base/error.hpp"
#include "fern/base/error_context.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/net/address.hpp"
#include "fern/net/create_connection.hpp"
#include "setup.hpp"

namespace fern::redis::detail {
namespace {

Duration backoff_after(const Options& options, unsigned failures) {
  Duration d = options.reconnect_backoff;
  for (unsigned i = 1; i < failures && d < options.reconnect_backoff_max; ++i) d *= 2;
  return std::min(d, options.reconnect_backoff_max);
}

net::Socket connect_socket(const Options& options) {
  if (!options.unix_socket.empty()) {
    net::Socket s = net::Socket::unix_stream();
    s.connect(net::Address::unix_path(options.unix_socket), options.connect_timeout);
    return s;
  }
  if (std::optional<net::Address> address = net::Address::parse(options.host, options.port)) {
    net::Socket s(address->family(), SOCK_STREAM);
    s.connect(*address, options.connect_timeout);
    s.set_nodelay();
    return s;
  }
  net::Socket s = net::create_connection(options.host, options.port, options.connect_timeout);
  s.set_timeout(kForever);
  return s;
}

// The handshake's commands, in order, and how many there are.
std::size_t encode_handshake(const Options& o, std::string& out) {
  std::size_t count = 0;
  const std::string_view user = o.username.empty() ? std::string_view("default") : o.username;
  if (o.protocol == 3) {
    std::vector<std::string_view> words{"HELLO", "3"};
    if (!o.password.empty()) words.insert(words.end(), {"AUTH", user, o.password});
    if (!o.client_name.empty()) words.insert(words.end(), {"SETNAME", o.client_name});
    encode_command(out, words);
    ++count;
  } else {
    if (!o.password.empty()) {
      if (o.username.empty()) {
        encode_command(out, "AUTH", o.password);
      } else {
        encode_command(out, "AUTH", o.username, o.password);
      }
      ++count;
    }
    if (!o.client_name.empty()) {
      encode_command(out, "CLIENT", "SETNAME", o.client_name);
      ++count;
    }
  }
  if (o.db != 0) {
    encode_command(out, "SELECT", o.db);
    ++count;
  }
  return count;
}

}  // namespace

net::Socket open_socket(const Options& options) {
  try {
    return connect_socket(options);
  } catch (const std::system_error& e) {
    throw with_context(e, "redis " + options.endpoint() + ": cannot connect",
                       "fern: connect to " + options.endpoint());
  }
}

bool ConnectionCore::connect() {
  if (Clock::now() < next_attempt_) {
    // Backing off after a failed attempt; a nudge or close() ends the wait early, and the pump's
    // loop comes back here.
    wait(0, next_attempt_);
    return false;
  }
  try {
    socket_ = open_socket(options_);
    run_handshake(socket_, parser_, options_);
    ++stats_.connects;
    failures_ = 0;
    idle_ = true;
    return true;
  } catch (const GreenletExit&) {
    socket_.close();
    throw;
  } catch (const std::exception& e) {
    socket_.close();
    reset_stream();
    if (closed_) return false;
    ++failures_;
    next_attempt_ = Clock::now() + backoff_after(options_, failures_);
    fail_connecting(e);
    return false;
  }
}

// Nothing was sent on a connection that failed to open, so a plain connect failure is not_applied
// for every pending call; a rejected handshake (ReplyError, a server's refusal) keeps its type.
void ConnectionCore::fail_connecting(const std::exception& error) noexcept {
  const auto* failure = dynamic_cast<const std::system_error*>(&error);
  if (failure && !dynamic_cast<const ReplyError*>(&error)) {
    fail_pending(*failure, false);
  } else {
    fail_all(std::current_exception());
  }
}

void run_handshake(net::Socket& socket, ReplyParser& parser, const Options& options) {
  std::string out;
  const std::size_t count = encode_handshake(options, out);
  if (count == 0) return;
  const std::string context = " (handshake with redis " + options.endpoint() + ")";
  socket.set_timeout(options.connect_timeout);
  try {
    socket.send_all(out);
    for (std::size_t i = 0; i < count;) {
      if (std::optional<Reply> reply = parser.next()) {
        if (reply->is_error()) throw ReplyError(std::string(reply->as_string()) + context);
        ++i;
        continue;
      }
      std::span<char> room = parser.prepare(4096);
      std::size_t n = socket.recv(room.data(), room.size());
      if (n == 0)
        throw_error(fern::Errc::unexpected_eof,
                    ("redis: the server closed the connection" + context).c_str());
      parser.commit(n);
    }
  } catch (const std::system_error& e) {
    if (e.code().category() == redis_category() || e.code() == fern::Errc::unexpected_eof) throw;
    throw std::system_error(e.code(), what_without_code(e) + context);
  }
  socket.set_timeout(kForever);
}

}  // namespace fern::redis::detail
