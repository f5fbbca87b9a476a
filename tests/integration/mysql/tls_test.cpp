// TLS against a real mariadbd started with a certificate from a throwaway CA (made here with the
// openssl tool): verification against that CA succeeds and the session is encrypted; a server whose
// certificate the given CA did not sign is refused before anything is sent; verification can be
// turned off explicitly; without TLS the session is plain.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "fern/clients/mysql/connection.hpp"
#include "mysql_test_support.hpp"

namespace mysql = fern::mysql;

namespace {

// A CA, a server certificate it signs (for 127.0.0.1 and localhost), and an unrelated CA.
struct Certificates {
  fern_test::TempDir dir{"fern-mysql-tls"};
  std::string path(const char* name) const { return dir.file(name); }

  Certificates() {
    std::ofstream(path("ext.cnf")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    const std::string d = dir.path();
    run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/ca.key -out " + d +
        "/ca.pem -days 2 -subj '/CN=fern test CA'");
    run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/other.key -out " + d +
        "/other.pem -days 2 -subj '/CN=someone else'");
    run("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/server.key -out " + d +
        "/server.csr -subj '/CN=127.0.0.1'");
    run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -out " + d + "/server.pem -days 2 -extfile " + d + "/ext.cnf");
  }
  static void run(const std::string& command) {
    if (std::system((command + " > /dev/null 2>&1").c_str()) != 0)
      throw std::runtime_error("failed: " + command);
  }
};

Certificates& certificates() {
  static auto certs = std::make_unique<Certificates>();
  return *certs;
}

fern_test::MariadbServer& tls_server() {
  static auto server = std::make_unique<fern_test::MariadbServer>(std::vector<std::string>{
      "--ssl-ca=" + certificates().path("ca.pem"), "--ssl-cert=" + certificates().path("server.pem"),
      "--ssl-key=" + certificates().path("server.key")});
  return *server;
}

std::string cipher(mysql::Connection& c) {
  return std::string(c.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")[0][1].as_string());
}

TEST(TlsTest, VerifiedAgainstTheCaAndEncrypted) {
  mysql::Options o = fern_mysql_test::tcp_options(tls_server());
  o.tls.enabled = true;
  o.tls.ca_file = certificates().path("ca.pem");
  mysql::Connection c(o);
  EXPECT_FALSE(cipher(c).empty());
  EXPECT_EQ(c.execute("SELECT ?", "over tls").scalar().as_string(), "over tls");
}

TEST(TlsTest, CertificateFromAnotherCaIsRefused) {
  mysql::Options o = fern_mysql_test::tcp_options(tls_server());
  o.tls.enabled = true;
  o.tls.ca_file = certificates().path("other.pem");
  mysql::Connection c(o);
  try {
    c.connect();
    FAIL() << "a certificate the CA did not sign was accepted";
  } catch (const mysql::Error& e) {
    EXPECT_EQ(e.code().category(), mysql::client_category()) << e.what();
    EXPECT_EQ(e.outcome(), mysql::Outcome::not_applied);
  }
  EXPECT_FALSE(c.connected());
}

TEST(TlsTest, VerificationCanBeTurnedOffExplicitly) {
  mysql::Options o = fern_mysql_test::tcp_options(tls_server());
  o.tls.enabled = true;
  o.tls.verify = false;
  o.tls.ca_file = certificates().path("other.pem");
  mysql::Connection c(o);
  EXPECT_FALSE(cipher(c).empty());
}

TEST(TlsTest, WithoutTlsTheSessionIsPlain) {
  mysql::Connection c(fern_mysql_test::tcp_options(tls_server()));
  EXPECT_TRUE(cipher(c).empty());
}

}  // namespace
