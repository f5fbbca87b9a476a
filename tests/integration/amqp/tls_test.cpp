// The AMQP client over TLS with verification, against a rabbitmq-server with a TLS listener whose
// certificate a throwaway CA signed: a client trusting that CA connects and works; one that does
// not trust it, or expects another name, fails with a verification error and never logs in.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

#include "amqp_test_support.hpp"
#include "fern/clients/amqp/connection.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/net/tls_context.hpp"
#include "servers.hpp"
#include "test_pki.hpp"

namespace fern_amqp_test {
namespace {

using namespace std::chrono_literals;
using namespace fern::amqp;

// The broker runs as the rabbitmq user: it must be able to read the PKI directory.
void share_with_broker(const fern_test::TestPki& pki) {
  const std::filesystem::path dir = std::filesystem::path(pki.ca_file()).parent_path();
  ::chmod(dir.c_str(), 0755);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) ::chmod(entry.path().c_str(), 0644);
}

TEST(AmqpTls, VerifiedConnectionWorksAndAWrongPeerIsRefused) {
  fern_test::TestPki pki;
  const auto server = pki.issue("broker", "localhost", "DNS:localhost,IP:127.0.0.1");
  share_with_broker(pki);
  const int tls_port = fern_test::free_port();
  fern_test::RabbitmqServer broker({
      "listeners.ssl.default = " + std::to_string(tls_port),
      "ssl_options.cacertfile = " + pki.ca_file(),
      "ssl_options.certfile = " + server.certificate,
      "ssl_options.keyfile = " + server.key,
      "ssl_options.verify = verify_none",
      "ssl_options.fail_if_no_peer_cert = false",
  });
  Options o = options_for(tls_port);
  o.tls = std::make_shared<fern::net::TlsContext>(fern::net::TlsContext::client(pki.ca_file()));
  std::optional<Connection> conn;
  // The TLS listener may come up a moment after the plain one the support waits for.
  for (int i = 0; i < 100 && !conn; ++i) {
    try {
      conn.emplace(o);
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::connection_refused) throw;
      fern::sleep(100ms);
    }
  }
  ASSERT_TRUE(conn);
  Channel ch = conn->channel();
  const QueueInfo q = ch.queue_declare("", {.exclusive = true});
  ch.confirm_select();
  const std::string body(300000, 't');  // several TLS records and body frames
  EXPECT_EQ(ch.publish("", q.name, body).wait(60s), ConfirmStatus::confirmed);
  std::optional<Delivery> d = ch.get(q.name, true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->body(), body);
  conn->close();

  // A client without the CA refuses the broker's certificate.
  Options untrusting = o;
  untrusting.tls = std::make_shared<fern::net::TlsContext>(fern::net::TlsContext::client());
  try {
    Connection c(untrusting);
    FAIL() << "connected to an untrusted broker";
  } catch (const std::system_error& e) {
    EXPECT_EQ(&e.code().category(), &fern::net::tls_verify_category()) << e.what();
  }
  // Nor does it accept the certificate for another name.
  Options wrong_name = o;
  wrong_name.tls_server_name = "elsewhere.example";
  try {
    Connection c(wrong_name);
    FAIL() << "accepted a certificate for another name";
  } catch (const std::system_error& e) {
    EXPECT_EQ(&e.code().category(), &fern::net::tls_verify_category()) << e.what();
  }
}

}  // namespace
}  // namespace fern_amqp_test
