// *_file keys, certificates and keys (PEM, base64, files; relative to the config file).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace portcullis::config {
namespace {

namespace fs = std::filesystem;
using testing::base64;
using testing::describe;
using testing::find_diagnostic;
using testing::read_testdata;
using testing::testdata_path;

constexpr char kSecret[] = "hsJIQsx9KKx4qVlggg/T3AuLTmVu0uHhwTQgMPlVs7U=";

// A scratch folder holding a config file and the files it names.
class ConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("portcullis-config-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tls");
    for (auto name : {"cert.pem", "key.pem", "other_key.pem", "ca.pem", "signing_key.pem"}) {
      fs::copy_file(testdata_path(name), dir_ / "tls" / name);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& contents) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << contents;
  }

  LoadResult load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
    write("config.yaml", yaml);
    testing::ScopedEnv scoped(std::move(env));
    return load_config_file((dir_ / "config.yaml").string(), testing::fake_env);
  }

  fs::path dir_;
};

TEST_F(ConfigFilesTest, CertificateFilesRelativeToTheConfig) {
  auto result = load("certificate_file: tls/cert.pem\ncertificate_key_file: ./tls/key.pem\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_TRUE(result.diagnostics.empty()) << describe(result);
  ASSERT_EQ(result.config->options.certificates.size(), 1u);
  EXPECT_EQ(result.config->options.certificates[0].cert_pem, read_testdata("cert.pem"));
  EXPECT_EQ(result.config->options.certificates[0].key_pem, read_testdata("key.pem"));
  EXPECT_EQ(result.config->source_path, (dir_ / "config.yaml").string());
  // HSTS only with a certificate.
  ASSERT_EQ(result.config->options.set_response_headers.size(), 3u);
  EXPECT_EQ(result.config->options.set_response_headers[2].value,
            "max-age=31536000; includeSubDomains; preload");
}

TEST_F(ConfigFilesTest, CertificatesListAcceptsFilesBase64AndPem) {
  std::string pem_cert = read_testdata("cert.pem");
  std::string block;  // the key as a YAML block scalar
  std::istringstream lines(read_testdata("key.pem"));
  for (std::string line; std::getline(lines, line);) block += "      " + line + "\n";
  auto result = load(
      "certificates:\n"
      "  - cert: tls/cert.pem\n    key: " +
      (dir_ / "tls/key.pem").string() +
      "\n"
      "  - cert: " +
      base64(pem_cert) + "\n    key: " + base64(read_testdata("key.pem")) +
      "\n  - cert: tls/cert.pem\n    key: |\n" + block + "certificate: " + base64(pem_cert) +
      "\ncertificate_key: " + base64(read_testdata("key.pem")) + "\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.config->options.certificates.size(), 4u);
  for (const auto& certificate : result.config->options.certificates) {
    EXPECT_EQ(certificate.cert_pem, pem_cert);
    EXPECT_NE(certificate.key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  }
}

TEST_F(ConfigFilesTest, MismatchedKeyIsAnError) {
  auto result = load("certificate_file: tls/cert.pem\ncertificate_key_file: tls/other_key.pem\n");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].key, "certificate_key_file");
  EXPECT_EQ(result.diagnostics[0].line, 2);
  EXPECT_EQ(result.diagnostics[0].message, "the private key does not match the certificate");

  auto list = load(
      "certificates:\n  - {cert: tls/cert.pem, key: tls/key.pem}\n"
      "  - cert: tls/cert.pem\n    key: tls/other_key.pem\n");
  EXPECT_FALSE(list.ok());
  const Diagnostic* diagnostic = find_diagnostic(list, "certificates[1].key");
  ASSERT_NE(diagnostic, nullptr) << describe(list);
  EXPECT_EQ(diagnostic->line, 4);
  EXPECT_NE(diagnostic->message.find("does not match"), std::string::npos);
}

TEST_F(ConfigFilesTest, NotACertificateOrNotAKey) {
  auto result = load("certificate_file: tls/key.pem\ncertificate_key_file: tls/cert.pem\n");
  EXPECT_FALSE(result.ok());
  const Diagnostic* cert = find_diagnostic(result, "certificate_file");
  ASSERT_NE(cert, nullptr) << describe(result);
  EXPECT_NE(cert->message.find("not a PEM certificate"), std::string::npos);
  const Diagnostic* key = find_diagnostic(result, "certificate_key_file");
  ASSERT_NE(key, nullptr) << describe(result);
  EXPECT_NE(key->message.find("not a PEM private key"), std::string::npos);

  auto garbage = load("certificate: aGVsbG8=\ncertificate_key: aGVsbG8=\n");
  EXPECT_FALSE(garbage.ok());
  const Diagnostic* inline_cert = find_diagnostic(garbage, "certificate");
  ASSERT_NE(inline_cert, nullptr) << describe(garbage);
  EXPECT_EQ(inline_cert->message, "must be PEM or base64-encoded PEM");
}

TEST_F(ConfigFilesTest, MissingFilesNameTheKeyAndThePath) {
  auto result = load("certificate_file: ./cert.pem\ncertificate_key_file: ./privkey.pem\n");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 2u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].key, "certificate_file");
  EXPECT_EQ(result.diagnostics[0].line, 1);
  EXPECT_NE(result.diagnostics[0].message.find((dir_ / "./cert.pem").string()), std::string::npos)
      << result.diagnostics[0].message;
  EXPECT_EQ(result.diagnostics[1].key, "certificate_key_file");
  EXPECT_NE(result.diagnostics[1].message.find("privkey.pem"), std::string::npos);

  auto half = load("certificate_file: tls/cert.pem\n");
  EXPECT_FALSE(half.ok());
  ASSERT_EQ(half.diagnostics.size(), 1u) << describe(half);
  EXPECT_EQ(half.diagnostics[0].to_string(),
            "error: certificate_file (line 1): certificate_key_file is required with "
            "certificate_file");
}

TEST_F(ConfigFilesTest, SecretFiles) {
  write("shared", std::string(kSecret) + "\n");
  write("cookie", "not-base64\n");
  write("idp", "  client-secret \n");
  write("dsn", "postgres://db/pomerium\n");
  auto result = load(
      "insecure_server: true\nshared_secret_file: shared\ncookie_secret_file: cookie\n"
      "idp_client_secret_file: idp\ndatabroker_storage_type: postgres\n"
      "databroker_storage_connection_string_file: dsn\n");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].key, "cookie_secret_file");
  EXPECT_EQ(result.diagnostics[0].line, 3);
  EXPECT_NE(result.diagnostics[0].message.find("32 bytes"), std::string::npos);

  write("cookie", std::string(kSecret));
  auto good = load(
      "insecure_server: true\nshared_secret_file: shared\ncookie_secret_file: cookie\n"
      "idp_client_secret_file: idp\ndatabroker_storage_type: postgres\n"
      "databroker_storage_connection_string_file: dsn\n");
  ASSERT_TRUE(good.ok()) << describe(good);
  EXPECT_EQ(good.config->options.shared_secret, kSecret);
  EXPECT_EQ(good.config->options.cookie_secret, kSecret);
  EXPECT_EQ(good.config->options.idp_client_secret, "client-secret");
  EXPECT_EQ(good.config->options.databroker_storage_connection_string, "postgres://db/pomerium");
}

TEST_F(ConfigFilesTest, InlineAndFileBothSetUsesTheFile) {
  write("shared", kSecret);
  auto result =
      load("insecure_server: true\nshared_secret: c2hvcnQ=\nshared_secret_file: shared\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(result.diagnostics[0].key, "shared_secret");
  EXPECT_EQ(result.config->options.shared_secret, kSecret);
}

TEST_F(ConfigFilesTest, SigningKeyAndCertificateAuthority) {
  auto result = load(
      "insecure_server: true\nsigning_key_file: tls/signing_key.pem\n"
      "certificate_authority: " +
      base64(read_testdata("ca.pem")) + "\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.signing_key, read_testdata("signing_key.pem"));
  EXPECT_EQ(result.config->options.certificate_authority_pem, read_testdata("ca.pem"));

  auto inline_key =
      load("insecure_server: true\nsigning_key: " + base64(read_testdata("signing_key.pem")) +
           "\ncertificate_authority_file: tls/ca.pem\n");
  ASSERT_TRUE(inline_key.ok()) << describe(inline_key);
  EXPECT_EQ(inline_key.config->options.signing_key, read_testdata("signing_key.pem"));
  EXPECT_EQ(inline_key.config->options.certificate_authority_pem, read_testdata("ca.pem"));

  auto bad = load(
      "insecure_server: true\nsigning_key_file: tls/cert.pem\n"
      "certificate_authority_file: tls/key.pem\n");
  EXPECT_FALSE(bad.ok());
  ASSERT_NE(find_diagnostic(bad, "signing_key_file"), nullptr) << describe(bad);
  EXPECT_EQ(find_diagnostic(bad, "signing_key_file")->line, 2);
  ASSERT_NE(find_diagnostic(bad, "certificate_authority_file"), nullptr) << describe(bad);
}

TEST_F(ConfigFilesTest, DownstreamMtlsCaFile) {
  auto result = load(
      "insecure_server: true\ndownstream_mtls:\n  ca_file: tls/ca.pem\n"
      "  max_verify_depth: 2\n  match_subject_alt_names: {dns: x}\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.downstream_mtls.ca_pem, read_testdata("ca.pem"));
  EXPECT_EQ(result.config->options.downstream_mtls.enforcement, "policy_with_default_deny");
  EXPECT_EQ(result.config->options.downstream_mtls.max_verify_depth, 2u);
  ASSERT_EQ(result.diagnostics.size(), 2u) << describe(result);
  // In line order: the warning on the downstream_mtls key itself comes first.
  EXPECT_EQ(result.diagnostics[0].key, "downstream_mtls");
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_NE(result.diagnostics[0].message.find("not enforced yet"), std::string::npos);
  EXPECT_EQ(result.diagnostics[1].message, "match_subject_alt_names is not supported yet");

  auto bad = load("insecure_server: true\ndownstream_mtls:\n  ca: bm90IGEgY2VydA==\n");
  EXPECT_FALSE(bad.ok());
  ASSERT_NE(find_diagnostic(bad, "downstream_mtls.ca"), nullptr) << describe(bad);
}

TEST_F(ConfigFilesTest, RouteUpstreamTlsFiles) {
  auto result = load(
      "insecure_server: true\nroutes:\n  - from: https://a.example.com\n    to: https://a\n"
      "    tls_custom_ca_file: tls/ca.pem\n    tls_client_cert_file: tls/cert.pem\n"
      "    tls_client_key_file: tls/key.pem\n"
      "  - from: https://b.example.com\n    to: https://b\n"
      "    tls_client_cert: " +
      base64(read_testdata("cert.pem")) +
      "\n"
      "    tls_client_key: " +
      base64(read_testdata("key.pem")) + "\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  const auto& routes = result.config->routes;
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].tls_custom_ca_pem, read_testdata("ca.pem"));
  EXPECT_EQ(routes[0].tls_client_cert_pem, read_testdata("cert.pem"));
  EXPECT_EQ(routes[0].tls_client_key_pem, read_testdata("key.pem"));
  EXPECT_EQ(routes[1].tls_client_cert_pem, read_testdata("cert.pem"));
  EXPECT_EQ(routes[1].tls_client_key_pem, read_testdata("key.pem"));

  auto mismatch = load(
      "insecure_server: true\nroutes:\n  - from: https://a.example.com\n    to: https://a\n"
      "    tls_client_cert_file: tls/cert.pem\n    tls_client_key_file: tls/other_key.pem\n");
  EXPECT_FALSE(mismatch.ok());
  const Diagnostic* diagnostic = find_diagnostic(mismatch, "routes[0].tls_client_key_file");
  ASSERT_NE(diagnostic, nullptr) << describe(mismatch);
  EXPECT_EQ(diagnostic->line, 6);
  EXPECT_NE(diagnostic->message.find("does not match"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::config
