// Environment variables over the file.

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::config {
namespace {

using std::chrono::seconds;
using testing::base64;
using testing::describe;
using testing::find_diagnostic;
using testing::load_yaml;
using testing::read_testdata;

TEST(ConfigEnvironment, EveryKeyCanComeFromItsUpperCasedName) {
  auto result = load_yaml("", {{"INSECURE_SERVER", "true"},
                               {"ADDRESS", ":8080"},
                               {"SERVICES", "proxy,authorize"},
                               {"IDP_SCOPES", "openid, email"},
                               {"TIMEOUT_READ", "5s"},
                               {"COOKIE_HTTP_ONLY", "FALSE"},
                               {"XFF_NUM_TRUSTED_HOPS", "3"},
                               {"AUTHENTICATE_SERVICE_URL", "https://auth.example.com"},
                               {"PROGRAMMATIC_REDIRECT_DOMAIN_WHITELIST", "a.example.com,b"},
                               {"NUM_WORKERS", "2"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_TRUE(result.diagnostics.empty()) << describe(result);
  const Options& o = result.config->options;
  EXPECT_TRUE(o.insecure_server);
  EXPECT_EQ(o.address, ":8080");
  EXPECT_EQ(o.services, (std::vector<std::string>{"proxy", "authorize"}));
  EXPECT_EQ(o.idp_scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(o.timeout_read, seconds(5));
  EXPECT_FALSE(o.cookie_http_only);
  EXPECT_EQ(o.xff_num_trusted_hops, 3u);
  EXPECT_EQ(o.authenticate_service_url, "https://auth.example.com");
  EXPECT_EQ(o.programmatic_redirect_domain_whitelist,
            (std::vector<std::string>{"a.example.com", "b"}));
  EXPECT_EQ(o.num_workers, 2u);
}

TEST(ConfigEnvironment, OverridesTheFile) {
  auto result = load_yaml("insecure_server: false\naddress: :1\nlog_level: debug\n",
                          {{"INSECURE_SERVER", "1"}, {"ADDRESS", ":2"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.address, ":2");
  EXPECT_TRUE(result.config->options.insecure_server);
  EXPECT_EQ(result.config->options.log_level, "debug");  // not overridden
}

TEST(ConfigEnvironment, BadValuesNameTheVariable) {
  auto result = load_yaml("insecure_server: true\n", {{"TIMEOUT_READ", "5"}, {"ADDRESS", "x"}});
  EXPECT_FALSE(result.ok());
  const Diagnostic* timeout = find_diagnostic(result, "TIMEOUT_READ");
  ASSERT_NE(timeout, nullptr) << describe(result);
  EXPECT_EQ(timeout->line, 0);
  EXPECT_EQ(timeout->to_string().rfind("error: TIMEOUT_READ: invalid duration \"5\"", 0), 0u)
      << timeout->to_string();
  ASSERT_NE(find_diagnostic(result, "ADDRESS"), nullptr);
}

TEST(ConfigEnvironment, HeadersVariable) {
  auto result = load_yaml("insecure_server: true\nset_response_headers: {X-File: f}\n",
                          {{"HEADERS", "X-A:1,X-Frame-Options:DENY"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  const auto& headers = result.config->options.set_response_headers;
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].name, "X-Frame-Options");
  EXPECT_EQ(headers[0].value, "DENY");
  EXPECT_EQ(headers[1].name, "X-XSS-Protection");
  EXPECT_EQ(headers[2].name, "X-A");
  EXPECT_EQ(headers[2].value, "1");

  auto json =
      load_yaml("insecure_server: true\n", {{"HEADERS", R"({"X-J": "j", "disable": "1"})"}});
  ASSERT_TRUE(json.ok()) << describe(json);
  ASSERT_EQ(json.config->options.set_response_headers.size(), 1u);
  EXPECT_EQ(json.config->options.set_response_headers[0].name, "X-J");

  auto bad = load_yaml("insecure_server: true\n", {{"HEADERS", "no-colon"}});
  EXPECT_FALSE(bad.ok());
  const Diagnostic* diagnostic = find_diagnostic(bad, "HEADERS");
  ASSERT_NE(diagnostic, nullptr) << describe(bad);
  EXPECT_NE(diagnostic->message.find("Name:Value"), std::string::npos);
}

TEST(ConfigEnvironment, MapsAndClaimHeaders) {
  auto result =
      load_yaml("insecure_server: true\n", {{"IDP_REQUEST_PARAMS", "prompt=login, hd=example.com"},
                                            {"JWT_CLAIMS_HEADERS", "email,groups"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.idp_request_params,
            (std::map<std::string, std::string>{{"hd", "example.com"}, {"prompt", "login"}}));
  EXPECT_EQ(result.config->options.jwt_claims_headers,
            (std::map<std::string, std::string>{{"x-pomerium-claim-email", "email"},
                                                {"x-pomerium-claim-groups", "groups"}}));
  auto json =
      load_yaml("insecure_server: true\n", {{"JWT_CLAIMS_HEADERS", R"({"X-Mail": "email"})"},
                                            {"IDP_REQUEST_PARAMS", R"({"prompt": "consent"})"}});
  ASSERT_TRUE(json.ok()) << describe(json);
  EXPECT_EQ(json.config->options.jwt_claims_headers,
            (std::map<std::string, std::string>{{"X-Mail", "email"}}));
  EXPECT_EQ(json.config->options.idp_request_params.at("prompt"), "consent");

  auto bad = load_yaml("insecure_server: true\n", {{"IDP_REQUEST_PARAMS", "{not: [json"}});
  EXPECT_FALSE(bad.ok());
  ASSERT_NE(find_diagnostic(bad, "IDP_REQUEST_PARAMS"), nullptr) << describe(bad);
}

TEST(ConfigEnvironment, PolicyVariableHoldsBase64Routes) {
  std::string routes =
      "- from: https://env.example.com\n  to: http://env:8080\n  allow_any_authenticated_user: "
      "true\n";
  auto result = load_yaml(
      "insecure_server: true\nroutes:\n  - from: https://file.example.com\n    to: http://file\n",
      {{"POLICY", base64(routes)}});
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.config->routes.size(), 2u);
  EXPECT_EQ(result.config->routes[0].from, "https://env.example.com");
  EXPECT_EQ(result.config->routes[0].line, 0);
  EXPECT_EQ(result.config->routes[1].from, "https://file.example.com");

  auto json =
      load_yaml("insecure_server: true\n",
                {{"POLICY", base64(R"([{"from": "https://j.example.com", "to": "http://j"}])")}});
  ASSERT_TRUE(json.ok()) << describe(json);
  ASSERT_EQ(json.config->routes.size(), 1u);

  auto bad_route =
      load_yaml("insecure_server: true\n",
                {{"POLICY", base64("- from: https://x.example.com\n  to: ftp://x\n")}});
  EXPECT_FALSE(bad_route.ok());
  const Diagnostic* diagnostic = find_diagnostic(bad_route, "POLICY[0].to");
  ASSERT_NE(diagnostic, nullptr) << describe(bad_route);
  EXPECT_EQ(diagnostic->line, 0);

  auto not_base64 = load_yaml("insecure_server: true\n", {{"POLICY", "%%%"}});
  EXPECT_FALSE(not_base64.ok());
  ASSERT_NE(find_diagnostic(not_base64, "POLICY"), nullptr) << describe(not_base64);
}

TEST(ConfigEnvironment, CertificatesFromVariables) {
  auto result = load_yaml("", {{"CERTIFICATE", base64(read_testdata("cert.pem"))},
                               {"CERTIFICATE_KEY", base64(read_testdata("key.pem"))}});
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.config->options.certificates.size(), 1u);
  EXPECT_EQ(result.config->options.certificates[0].cert_pem, read_testdata("cert.pem"));
  // With a certificate, HSTS is among the default response headers.
  EXPECT_EQ(result.config->options.set_response_headers.size(), 3u);
  EXPECT_EQ(result.config->options.set_response_headers[2].name, "Strict-Transport-Security");

  auto mismatch = load_yaml("", {{"CERTIFICATE", base64(read_testdata("cert.pem"))},
                                 {"CERTIFICATE_KEY", base64(read_testdata("other_key.pem"))}});
  EXPECT_FALSE(mismatch.ok());
  const Diagnostic* diagnostic = find_diagnostic(mismatch, "CERTIFICATE_KEY");
  ASSERT_NE(diagnostic, nullptr) << describe(mismatch);
  EXPECT_NE(diagnostic->message.find("does not match"), std::string::npos);
}

TEST(ConfigEnvironment, InlineValueFromTheEnvironmentBeatsAFileInTheConfig) {
  auto result = load_yaml("insecure_server: true\nshared_secret_file: /nonexistent/secret\n",
                          {{"SHARED_SECRET", "hsJIQsx9KKx4qVlggg/T3AuLTmVu0uHhwTQgMPlVs7U="}});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.shared_secret, "hsJIQsx9KKx4qVlggg/T3AuLTmVu0uHhwTQgMPlVs7U=");
}

TEST(ConfigEnvironment, DownstreamMtlsFields) {
  auto result = load_yaml("insecure_server: true\ndownstream_mtls:\n  enforcement: policy\n",
                          {{"DOWNSTREAM_MTLS_CA", base64(read_testdata("ca.pem"))},
                           {"DOWNSTREAM_MTLS_MAX_VERIFY_DEPTH", "3"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  const auto& mtls = result.config->options.downstream_mtls;
  EXPECT_TRUE(mtls.enabled());
  EXPECT_EQ(mtls.ca_pem, read_testdata("ca.pem"));
  EXPECT_EQ(mtls.enforcement, "policy");  // kept from the file
  EXPECT_EQ(mtls.max_verify_depth, 3u);

  auto json = load_yaml("insecure_server: true\n",
                        {{"DOWNSTREAM_MTLS", R"({"enforcement": "reject_connection"})"}});
  ASSERT_TRUE(json.ok()) << describe(json);
  EXPECT_EQ(json.config->options.downstream_mtls.enforcement, "reject_connection");
}

TEST(ConfigEnvironment, UnsupportedKeysWarnFromTheEnvironmentToo) {
  auto result = load_yaml("", {{"AUTOCERT", "true"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].to_string(), "warning: AUTOCERT: autocert is not supported yet");
}

TEST(ConfigEnvironment, RemovedKeysAreNotReadFromTheEnvironment) {
  auto result = load_yaml("insecure_server: true\n", {{"CLIENT_CA", "x"}, {"POLICY_FILE", "y"}});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_TRUE(result.diagnostics.empty()) << describe(result);
}

TEST(ConfigEnvironment, ProcessEnvironmentLookup) {
  EXPECT_EQ(process_env("PORTCULLIS_TEST_SURELY_UNSET_VARIABLE"), std::nullopt);
}

}  // namespace
}  // namespace portcullis::config
