#include "http/tls.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace portcullis::http {
namespace {

// ---------------------------------------------------------------------------------------------
// certificate_name_matches

TEST(CertificateNameMatches, Table) {
  struct Case {
    std::string pattern;
    std::string name;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"a.test", "a.test", true},
      {"a.test", "b.test", false},
      {"a.test", "x.a.test", false},
      {"a.test", "a.test.", false},
      {"*.b.test", "x.b.test", true},
      {"*.b.test", "x-y.b.test", true},
      {"*.b.test", "1.b.test", true},
      {"*.b.test", "b.test", false},         // not the apex
      {"*.b.test", ".b.test", false},        // an empty label
      {"*.b.test", "y.x.b.test", false},     // not two labels
      {"*.b.test", "xb.test", false},        // the dot belongs to the suffix
      {"*.b.test", "x.b.test.evil", false},  // a suffix, not a substring
      {"*.b.test", "x.c.test", false},
      {"*.test", "b.test", true},
      {"*", "a", false},                  // a bare star is no wildcard
      {"*.", "x.", false},                // nor is "*."
      {"x*.b.test", "xy.b.test", false},  // partial-label wildcards are not supported
  };
  for (const auto& c : cases) {
    EXPECT_EQ(certificate_name_matches(c.pattern, c.name), c.matches)
        << c.pattern << " vs " << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates made for the test

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("PEM_write_bio_PrivateKey");
  }
  return bio_text(bio.get());
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) throw std::runtime_error("PEM_write_bio_X509");
  return bio_text(bio.get());
}

struct TestCert {
  PkeyPtr key;
  X509Ptr cert;
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate with subject CN `common_name` and DNS SANs `sans` (none: no SAN
// extension). `rsa` picks an RSA key instead of P-256.
TestCert make_cert(const std::string& common_name, const std::vector<std::string>& sans,
                   bool rsa = false) {
  TestCert out;
  out.key.reset(rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!out.key) throw std::runtime_error("EVP_PKEY_Q_keygen");
  out.cert.reset(X509_new());
  X509* x = out.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, out.key.get());
  if (!sans.empty()) {
    std::string value;
    for (const auto& san : sans) value += (value.empty() ? "DNS:" : ",DNS:") + san;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, value.c_str());
    if (ext == nullptr) throw std::runtime_error("X509V3_EXT_conf_nid");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x, out.key.get(), EVP_sha256()) == 0) throw std::runtime_error("X509_sign");
  out.cert_pem = cert_pem(x);
  out.key_pem = key_pem(out.key.get());
  return out;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    a_ = std::make_unique<TestCert>(make_cert("a.test", {"a.test"}));
    b_ = std::make_unique<TestCert>(make_cert("b wildcard", {"*.b.test"}));
    exact_ = std::make_unique<TestCert>(make_cert("exact", {"exact.b.test", "other.test"}));
    cn_only_ = std::make_unique<TestCert>(make_cert("CN.Only.Test", {}));
  }
  static void TearDownTestSuite() {
    a_.reset();
    b_.reset();
    exact_.reset();
    cn_only_.reset();
  }
  static CertificatePem pem(const TestCert& c) { return {c.cert_pem, c.key_pem}; }

  // Key generation is slow-ish: made once for the suite.
  static std::unique_ptr<TestCert> a_;
  static std::unique_ptr<TestCert> b_;
  static std::unique_ptr<TestCert> exact_;
  static std::unique_ptr<TestCert> cn_only_;
};
std::unique_ptr<TestCert> TlsTest::a_;
std::unique_ptr<TestCert> TlsTest::b_;
std::unique_ptr<TestCert> TlsTest::exact_;
std::unique_ptr<TestCert> TlsTest::cn_only_;

// ---------------------------------------------------------------------------------------------
// ServerTlsContexts

TEST_F(TlsTest, SelectPicksTheCertificateForTheName) {
  ServerTlsContexts contexts({pem(*a_), pem(*b_), pem(*exact_), pem(*cn_only_)});
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"a.test", 0},       {"A.Test", 0},  // SNI is case-insensitive
      {"x.b.test", 1},     {"X.B.TEST", 1},
      {"exact.b.test", 2},  // an exact name beats an earlier wildcard
      {"other.test", 2},    // any SAN of the certificate
      {"cn.only.test", 3},  // no SAN: the common name
      {"b.test", 0},        // the wildcard does not cover the apex: default
      {"y.x.b.test", 0},    // nor two labels
      {"unknown.test", 0}, {"", 0},
  };
  for (const auto& [name, index] : cases) {
    EXPECT_EQ(contexts.select(name), index) << name;
  }
}

TEST_F(TlsTest, UnknownNamesPickTheFirstCertificate) {
  ServerTlsContexts contexts({pem(*b_), pem(*a_)});
  EXPECT_EQ(contexts.select("a.test"), 1u);
  EXPECT_EQ(contexts.select("x.b.test"), 0u);
  EXPECT_EQ(contexts.select("nothing.example"), 0u);
}

TEST_F(TlsTest, MismatchedKeyThrows) {
  EXPECT_THROW(ServerTlsContexts({{a_->cert_pem, b_->key_pem}}), std::runtime_error);
  // The second pair is the bad one.
  EXPECT_THROW(ServerTlsContexts({pem(*a_), {b_->cert_pem, exact_->key_pem}}), std::runtime_error);
  // A key of another type than the certificate's.
  TestCert rsa = make_cert("rsa.test", {"rsa.test"}, true);
  EXPECT_THROW(ServerTlsContexts({{a_->cert_pem, rsa.key_pem}}), std::runtime_error);
  EXPECT_THROW(ServerTlsContexts({{rsa.cert_pem, a_->key_pem}}), std::runtime_error);
  EXPECT_NO_THROW(ServerTlsContexts({{rsa.cert_pem, rsa.key_pem}}));
}

TEST_F(TlsTest, GarbageOrMissingPemThrows) {
  const std::string garbage =
      "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
  EXPECT_THROW(ServerTlsContexts({{garbage, a_->key_pem}}), std::runtime_error);
  EXPECT_THROW(ServerTlsContexts({{"hello", a_->key_pem}}), std::runtime_error);
  EXPECT_THROW(ServerTlsContexts({{a_->cert_pem, "not a key"}}), std::runtime_error);
  EXPECT_THROW(ServerTlsContexts({{a_->cert_pem, ""}}), std::runtime_error);
  EXPECT_THROW(ServerTlsContexts({CertificatePem{"", ""}}), std::runtime_error);
  EXPECT_THROW(ServerTlsContexts(std::vector<CertificatePem>{}), std::runtime_error);
}

TEST_F(TlsTest, ChainAfterTheLeafIsAccepted) {
  // cert_pem may carry the chain after the leaf; names come from the leaf.
  ServerTlsContexts contexts({{b_->cert_pem + a_->cert_pem, b_->key_pem}, pem(*a_)});
  EXPECT_EQ(contexts.select("x.b.test"), 0u);
  EXPECT_EQ(contexts.select("a.test"), 1u);
}

// A full handshake over memory BIOs: the server presents the certificate that SNI asks for.
X509Ptr handshake_certificate(ServerTlsContexts& contexts, const char* server_name) {
  std::unique_ptr<SSL_CTX, SslCtxFree> client_ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_NONE, nullptr);
  std::unique_ptr<SSL, SslFree> client(SSL_new(client_ctx.get()));
  std::unique_ptr<SSL, SslFree> server(SSL_new(contexts.context().native_handle()));
  if (server_name != nullptr) SSL_set_tlsext_host_name(client.get(), server_name);
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  bool client_done = false, server_done = false;
  for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client.get());
      if (rc == 1)
        client_done = true;
      else if (int e = SSL_get_error(client.get(), rc);
               e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return nullptr;
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server.get());
      if (rc == 1)
        server_done = true;
      else if (int e = SSL_get_error(server.get(), rc);
               e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return nullptr;
    }
  }
  if (!client_done || !server_done) return nullptr;
  return X509Ptr(SSL_get1_peer_certificate(client.get()));
}

TEST_F(TlsTest, HandshakePresentsTheSniCertificate) {
  ServerTlsContexts contexts({pem(*a_), pem(*b_), pem(*exact_)});
  const std::vector<std::pair<const char*, X509*>> cases = {
      {"a.test", a_->cert.get()},
      {"x.b.test", b_->cert.get()},
      {"exact.b.test", exact_->cert.get()},
      {"unknown.test", a_->cert.get()},
      {nullptr, a_->cert.get()},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name ? name : "(no SNI)");
    X509Ptr presented = handshake_certificate(contexts, name);
    ASSERT_NE(presented, nullptr) << "handshake failed";
    EXPECT_EQ(X509_cmp(presented.get(), expected), 0);
  }
}

TEST_F(TlsTest, GeneratedSelfSignedCertificate) {
  CertificatePem generated = generate_self_signed_certificate("portcullis.localhost");
  ServerTlsContexts contexts({pem(*a_), generated});
  EXPECT_EQ(contexts.select("portcullis.localhost"), 1u);  // its DNS SAN
  EXPECT_EQ(contexts.select("other.localhost"), 0u);
  X509Ptr presented = handshake_certificate(contexts, "portcullis.localhost");
  ASSERT_NE(presented, nullptr);
  BioPtr bio(
      BIO_new_mem_buf(generated.cert_pem.data(), static_cast<int>(generated.cert_pem.size())));
  X509Ptr expected(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(expected, nullptr);
  EXPECT_EQ(X509_cmp(presented.get(), expected.get()), 0);
  EXPECT_EQ(X509_check_host(expected.get(), "portcullis.localhost", 0, 0, nullptr), 1);
  // Self-signed and currently valid.
  EXPECT_EQ(
      X509_NAME_cmp(X509_get_subject_name(expected.get()), X509_get_issuer_name(expected.get())),
      0);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(expected.get())), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(expected.get())), 0);
  // A fresh key and certificate every time.
  CertificatePem again = generate_self_signed_certificate("portcullis.localhost");
  EXPECT_NE(again.cert_pem, generated.cert_pem);
  EXPECT_NE(again.key_pem, generated.key_pem);
}

// ---------------------------------------------------------------------------------------------
// make_client_tls_context

TEST_F(TlsTest, ClientContext) {
  EXPECT_NE(make_client_tls_context({}), nullptr);  // system CAs
  ClientTlsOptions skip;
  skip.skip_verify = true;
  EXPECT_NE(make_client_tls_context(skip), nullptr);
  ClientTlsOptions custom;
  custom.custom_ca_pem = a_->cert_pem;
  EXPECT_NE(make_client_tls_context(custom), nullptr);
  ClientTlsOptions two_cas;
  two_cas.custom_ca_pem = a_->cert_pem + b_->cert_pem;
  EXPECT_NE(make_client_tls_context(two_cas), nullptr);
  ClientTlsOptions client_cert;
  client_cert.client_cert_pem = a_->cert_pem;
  client_cert.client_key_pem = a_->key_pem;
  EXPECT_NE(make_client_tls_context(client_cert), nullptr);
}

TEST_F(TlsTest, ClientContextRejectsGarbage) {
  ClientTlsOptions garbage_ca;
  garbage_ca.custom_ca_pem = "this is not a certificate";
  EXPECT_THROW(make_client_tls_context(garbage_ca), std::runtime_error);
  ClientTlsOptions broken_ca;
  broken_ca.custom_ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
  EXPECT_THROW(make_client_tls_context(broken_ca), std::runtime_error);
  ClientTlsOptions garbage_cert;
  garbage_cert.client_cert_pem = "nope";
  garbage_cert.client_key_pem = a_->key_pem;
  EXPECT_THROW(make_client_tls_context(garbage_cert), std::runtime_error);
  ClientTlsOptions garbage_key;
  garbage_key.client_cert_pem = a_->cert_pem;
  garbage_key.client_key_pem = "nope";
  EXPECT_THROW(make_client_tls_context(garbage_key), std::runtime_error);
}

TEST_F(TlsTest, ClientContextRejectsAMismatchedClientKey) {
  ClientTlsOptions same_type;
  same_type.client_cert_pem = a_->cert_pem;
  same_type.client_key_pem = b_->key_pem;
  EXPECT_THROW(make_client_tls_context(same_type), std::runtime_error);
  // An RSA key for an EC certificate.
  TestCert rsa = make_cert("rsa.test", {"rsa.test"}, true);
  ClientTlsOptions other_type;
  other_type.client_cert_pem = a_->cert_pem;
  other_type.client_key_pem = rsa.key_pem;
  EXPECT_THROW(make_client_tls_context(other_type), std::runtime_error);
}

}  // namespace
}  // namespace portcullis::http
