// A throwaway public-key infrastructure for the TLS tests, made at run time with OpenSSL's API: a CA
// and certificates it signs (any names, any validity window), written as PEM files into a temporary
// directory that goes away with the object. P-256 keys keep generation fast.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fern_test {

class TestPki {
 public:
  struct Issued {
    std::string certificate;  // PEM file: the leaf only
    std::string key;          // PEM file: its private key
  };

  // A new CA named `ca_name` in a fresh directory.
  explicit TestPki(const std::string& ca_name = "fern test CA") {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/fern-pki.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    ca_key_ = new_key();
    ca_cert_ = build(ca_name, {}, ca_key_.get(), nullptr, nullptr, -3600, 86400 * 30, true);
    write_certificate(ca_cert_.get(), ca_file());
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  // A certificate for `common_name` with subjectAltName `alt_names` ("DNS:localhost,IP:127.0.0.1"),
  // valid from now + `from_seconds` to now + `to_seconds`, signed by this CA.
  Issued issue(const std::string& stem, const std::string& common_name, const std::string& alt_names,
               long from_seconds = -3600, long to_seconds = 86400 * 30) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key = new_key();
    auto certificate = build(common_name, alt_names, key.get(), ca_cert_.get(), ca_key_.get(), from_seconds,
                             to_seconds, false);
    Issued issued{file(stem + ".pem"), file(stem + ".key")};
    write_certificate(certificate.get(), issued.certificate);
    std::FILE* f = std::fopen(issued.key.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + issued.key);
    int ok = PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    if (ok != 1) throw std::runtime_error("cannot write " + issued.key);
    return issued;
  }

 private:
  using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

  static KeyPtr new_key() {
    KeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    if (!key) throw std::runtime_error("EVP_EC_gen failed");
    return key;
  }

  static void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : certificate, certificate, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (extension == nullptr) throw std::runtime_error("bad extension " + value);
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
  }

  CertPtr build(const std::string& common_name, const std::string& alt_names, EVP_PKEY* key, X509* issuer,
                EVP_PKEY* issuer_key, long from_seconds, long to_seconds, bool is_ca) {
    CertPtr certificate(X509_new(), &X509_free);
    X509* x = certificate.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial_++);
    X509_gmtime_adj(X509_getm_notBefore(x), from_seconds);
    X509_gmtime_adj(X509_getm_notAfter(x), to_seconds);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fern"), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    add_extension(x, issuer, NID_subject_key_identifier, "hash");
    if (is_ca) {
      add_extension(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
      add_extension(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      add_extension(x, issuer, NID_authority_key_identifier, "keyid:always");
      add_extension(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(x, issuer, NID_key_usage, "critical,digitalSignature");
      add_extension(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
      if (!alt_names.empty()) add_extension(x, issuer, NID_subject_alt_name, alt_names);
    }
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) == 0)
      throw std::runtime_error("X509_sign failed");
    return certificate;
  }

  static void write_certificate(X509* certificate, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    int ok = PEM_write_X509(f, certificate);
    std::fclose(f);
    if (ok != 1) throw std::runtime_error("cannot write " + path);
  }

  std::string dir_;
  long next_serial_ = 1;
  KeyPtr ca_key_{nullptr, &EVP_PKEY_free};
  CertPtr ca_cert_{nullptr, &X509_free};
};

}  // namespace fern_test
