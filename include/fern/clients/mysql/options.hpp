// Options: where a MariaDB/MySQL connection goes and how it talks: TCP host and port or a Unix
// socket, the account and database, the character set, TLS, and the timeouts that bound each wait.
// A plain value; nothing here blocks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fern/base/clock.hpp"

namespace fern::mysql {

struct TlsOptions {
  bool enabled = false;  // require TLS; the connect fails when the server does not offer it
  bool verify = true;    // check the server's certificate chain and host name (false: neither;
                         // the connection is encrypted but the server unauthenticated)
  std::string ca_file;   // PEM bundle of trusted CAs (empty: the system's)
  std::string ca_path;
  std::string cert_file;  // client certificate and key, for servers that ask for one
  std::string key_file;
};

struct Options {
  std::string host = "127.0.0.1";  // a numeric address or a name (resolved without blocking the hub)
  std::uint16_t port = 3306;
  std::string unix_socket;  // when set, used instead of host and port

  std::string user = "root";
  std::string password;  // any auth plugin Connector/C has: mysql_native_password, ed25519, ...
  std::string database;  // the default schema; empty for none
  std::string charset = "utf8mb4";
  TlsOptions tls;

  // Bounds connecting plus the handshake.
  Duration connect_timeout = std::chrono::seconds(10);
  // Bound each wait for the server to send (read) or accept (write) bytes; kForever: none. A
  // fern::Timeout scope around a call bounds it as well.
  Duration read_timeout = kForever;
  Duration write_timeout = kForever;
  // A statement abandoned mid-flight (timeout, kill) is stopped on the server with KILL QUERY sent
  // on a short-lived side connection; this bounds that side trip.
  Duration cancel_timeout = std::chrono::seconds(2);

  // Lets query() carry several statements separated by ';' (each result is returned).
  bool multi_statements = true;
  // Server-side prepared statements kept per connection, by SQL text.
  std::size_t statement_cache_size = 256;

  // "127.0.0.1:3306" or "unix:/path/mysqld.sock", for messages.
  std::string endpoint() const {
    return unix_socket.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_socket;
  }
};

}  // namespace fern::mysql
