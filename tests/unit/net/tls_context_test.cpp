// TlsContext: safe defaults (verification on, TLS 1.2 at least), trust and identity loaded from PEM
// files made at run time, clear errors for missing and mismatched files, ALPN lists, shared copies.
#include "fern/net/tls_context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <string>

#include "../../integration/tls/test_pki.hpp"
#include "fern/base/error.hpp"

namespace fern::net {
namespace {

class TlsContextTest : public ::testing::Test {
 protected:
  fern_test::TestPki pki;
  fern_test::TestPki::Issued localhost = pki.issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1");
};

TEST_F(TlsContextTest, ClientVerifiesByDefaultWithTls12AtLeast) {
  TlsContext client = TlsContext::client();
  EXPECT_EQ(client.role(), TlsRole::client);
  EXPECT_TRUE(client.verify_peer());
  EXPECT_EQ(SSL_CTX_get_verify_mode(client.native_handle()), SSL_VERIFY_PEER);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(client.native_handle()), TLS1_2_VERSION);
  client.set_min_version(TlsVersion::tls1_3);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(client.native_handle()), TLS1_3_VERSION);
}

TEST_F(TlsContextTest, ServerAsksForClientCertificatesOnlyWhenTold) {
  TlsContext server = TlsContext::server(localhost.certificate, localhost.key);
  EXPECT_EQ(server.role(), TlsRole::server);
  EXPECT_FALSE(server.verify_peer());
  EXPECT_EQ(SSL_CTX_get_verify_mode(server.native_handle()), SSL_VERIFY_NONE);
  server.set_verify_peer(true);
  EXPECT_EQ(SSL_CTX_get_verify_mode(server.native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST_F(TlsContextTest, ClientTrustsTheGivenCaFile) {
  TlsContext client = TlsContext::client(pki.ca_file());
  X509_STORE* store = SSL_CTX_get_cert_store(client.native_handle());
  EXPECT_EQ(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)), 1);
  client.trust_directory(pki.file(""));
  client.trust_system_store();
}

TEST_F(TlsContextTest, MissingCaFileNamesThePath) {
  try {
    TlsContext::client(pki.file("absent.pem"));
    FAIL() << "expected an error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.pem"), std::string::npos) << e.what();
    EXPECT_FALSE(e.code().message().empty());
  }
}

TEST_F(TlsContextTest, MismatchedKeyIsRefused) {
  fern_test::TestPki::Issued other = pki.issue("other", "other.test", "DNS:other.test");
  try {
    TlsContext::server(localhost.certificate, other.key);
    FAIL() << "expected a key mismatch";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), tls_category());
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(other.key), std::string::npos) << e.what();
  }
}

TEST_F(TlsContextTest, MissingKeyFileIsRefused) {
  EXPECT_THROW(TlsContext::server(localhost.certificate, pki.file("absent.key")), std::system_error);
  EXPECT_THROW(TlsContext::server(pki.file("absent.pem"), localhost.key), std::system_error);
}

TEST_F(TlsContextTest, AlpnListsAreKeptAndValidated) {
  TlsContext client = TlsContext::client(pki.ca_file());
  client.set_alpn_protocols({"h2", "http/1.1"});
  EXPECT_EQ(client.alpn_protocols(), (std::vector<std::string>{"h2", "http/1.1"}));
  try {
    client.set_alpn_protocols({"h2", ""});
    FAIL() << "an empty protocol name must be refused";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::invalid_argument));
  }
  EXPECT_THROW(client.set_alpn_protocols({std::string(256, 'x')}), std::system_error);
  EXPECT_EQ(client.alpn_protocols().size(), 2u);  // a refused list leaves the old one
  TlsContext server = TlsContext::server(localhost.certificate, localhost.key);
  server.set_alpn_protocols({"http/1.1"});
  server.set_alpn_protocols({});
  EXPECT_TRUE(server.alpn_protocols().empty());
}

TEST_F(TlsContextTest, CopiesShareOneContext) {
  TlsContext a = TlsContext::client(pki.ca_file());
  TlsContext b = a;
  EXPECT_EQ(a.native_handle(), b.native_handle());
  b.set_verify_peer(false);
  EXPECT_FALSE(a.verify_peer());
}

TEST(TlsCategories, MessagesComeFromOpenSsl) {
  EXPECT_STREQ(tls_category().name(), "tls");
  EXPECT_STREQ(tls_verify_category().name(), "tls-verify");
  EXPECT_EQ(std::error_code(X509_V_ERR_CERT_HAS_EXPIRED, tls_verify_category()).message(),
            "certificate has expired");
  EXPECT_EQ(std::error_code(X509_V_ERR_HOSTNAME_MISMATCH, tls_verify_category()).message(),
            "hostname mismatch");
  int code = static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_CERTIFICATE_VERIFY_FAILED));
  EXPECT_NE(std::error_code(code, tls_category()).message().find("certificate verify failed"),
            std::string::npos);
}

}  // namespace
}  // namespace fern::net
