// Global options: defaults, parsing and validation of bad values.

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::describe;
using testing::find_diagnostic;
using testing::load_insecure;
using testing::load_yaml;

std::vector<std::string> header_names(const std::vector<Header>& headers) {
  std::vector<std::string> names;
  for (const auto& header : headers) names.push_back(header.name + ": " + header.value);
  return names;
}

TEST(ConfigDefaults, MatchPomerium) {
  auto result = load_insecure("");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_TRUE(result.diagnostics.empty()) << describe(result);
  const Options& o = result.config->options;
  EXPECT_EQ(o.services, std::vector<std::string>{"all"});
  EXPECT_TRUE(o.has_service("proxy"));
  EXPECT_TRUE(o.has_service("cache"));
  EXPECT_EQ(o.address, ":443");
  EXPECT_TRUE(o.insecure_server);
  EXPECT_EQ(o.http_redirect_addr, "");
  EXPECT_EQ(o.grpc_address, ":5443");  // proxy runs here, so not :443
  EXPECT_FALSE(o.grpc_insecure.has_value());
  EXPECT_EQ(o.grpc_client_timeout, seconds(10));
  EXPECT_EQ(o.authenticate_service_url, "");
  EXPECT_EQ(o.databroker_storage_type, "memory");
  EXPECT_EQ(o.cookie_name, "_pomerium");
  EXPECT_EQ(o.cookie_expire, hours(14));
  EXPECT_TRUE(o.cookie_http_only);
  EXPECT_EQ(o.cookie_same_site, "");
  EXPECT_FALSE(o.pass_identity_headers);
  EXPECT_EQ(o.timeout_read, seconds(30));
  EXPECT_EQ(o.timeout_write, Duration{0});
  EXPECT_EQ(o.timeout_idle, minutes(5));
  EXPECT_EQ(o.default_upstream_timeout, seconds(30));
  EXPECT_EQ(o.xff_num_trusted_hops, 0u);
  EXPECT_TRUE(o.normalize_path);
  EXPECT_TRUE(o.merge_slashes);
  EXPECT_EQ(o.path_with_escaped_slashes_action, "REJECT_REQUEST");
  EXPECT_EQ(o.headers_with_underscores_action, "REJECT_REQUEST");
  EXPECT_EQ(o.health_check_addr, "127.0.0.1:28080");
  EXPECT_EQ(o.metrics_address, "");
  EXPECT_EQ(o.log_level, "info");
  EXPECT_EQ(o.programmatic_redirect_domain_whitelist, std::vector<std::string>{"localhost"});
  EXPECT_EQ(o.max_request_headers_kb, 128u);
  EXPECT_EQ(o.max_headers_count, 1000u);
  EXPECT_EQ(o.num_workers, 0u);
  EXPECT_EQ(o.shutdown_timeout, seconds(30));
  EXPECT_TRUE(o.certificates.empty());
  EXPECT_FALSE(o.autocert);
  EXPECT_FALSE(o.downstream_mtls.enabled());
  // No certificate: no HSTS.
  EXPECT_EQ(
      header_names(o.set_response_headers),
      (std::vector<std::string>{"X-Frame-Options: SAMEORIGIN", "X-XSS-Protection: 1; mode=block"}));
  EXPECT_TRUE(result.config->routes.empty());
  EXPECT_EQ(result.config->source_path, "/tmp/portcullis-test/config.yaml");
}

TEST(ConfigOptions, ParsesEveryScalarKey) {
  auto result = load_yaml(R"(
services: proxy,AUTHORIZE
address: 127.0.0.1:8443
insecure_server: true
http_redirect_addr: ":80"
grpc_address: "[::1]:9443"
grpc_insecure: false
grpc_client_timeout: 2s
authenticate_service_url: https://authenticate.example.com
authenticate_internal_service_url: http://authenticate.internal:8080
authorize_service_url: https://authorize-a.internal
authorize_service_urls: [https://authorize-b.internal, https://authorize-c.internal]
authorize_internal_service_url: http://authorize.internal
databroker_service_urls: https://db-a.internal,https://db-b.internal
databroker_storage_type: postgres
databroker_storage_connection_string: postgres://u:p@db/pomerium
idp_provider: OIDC
idp_provider_url: https://idp.example.com/realms/x
idp_client_id: 12345
idp_client_secret: s3cret
idp_scopes: openid,email
idp_request_params: {prompt: login, hd: example.com}
cookie_name: _sess
cookie_expire: 1h30m
cookie_domain: example.com
cookie_http_only: false
cookie_same_site: Lax
pass_identity_headers: true
timeout_read: 10s
timeout_write: 1m
timeout_idle: 90s
default_upstream_timeout: 5s
xff_num_trusted_hops: 2
normalize_path: false
merge_slashes: no
path_with_escaped_slashes_action: unescape_and_forward
headers_with_underscores_action: DROP_HEADER
metrics_address: 127.0.0.1:9090
metrics_basic_auth: dXNlcjpwYXNz
health_check_addr: ""
log_level: DEBUG
programmatic_redirect_domain_whitelist: [localhost, example.com]
signout_redirect_url: https://example.com/bye
num_workers: 4
shutdown_timeout: 3s
max_request_headers_kb: 96
max_headers_count: 200
)",
                          {});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_TRUE(result.diagnostics.empty()) << describe(result);
  const Options& o = result.config->options;
  EXPECT_EQ(o.services, (std::vector<std::string>{"proxy", "authorize"}));
  EXPECT_FALSE(o.has_service("databroker"));
  EXPECT_EQ(o.address, "127.0.0.1:8443");
  EXPECT_EQ(o.http_redirect_addr, ":80");
  EXPECT_EQ(o.grpc_address, "[::1]:9443");
  EXPECT_EQ(o.grpc_insecure, false);
  EXPECT_EQ(o.grpc_client_timeout, seconds(2));
  EXPECT_EQ(o.authenticate_service_url, "https://authenticate.example.com");
  EXPECT_EQ(o.authenticate_internal_service_url, "http://authenticate.internal:8080");
  EXPECT_EQ(o.authorize_service_urls, (std::vector<std::string>{"https://authorize-a.internal",
                                                                "https://authorize-b.internal",
                                                                "https://authorize-c.internal"}));
  EXPECT_EQ(o.authorize_internal_service_url, "http://authorize.internal");
  EXPECT_EQ(o.databroker_service_urls,
            (std::vector<std::string>{"https://db-a.internal", "https://db-b.internal"}));
  EXPECT_EQ(o.databroker_storage_type, "postgres");
  EXPECT_EQ(o.databroker_storage_connection_string, "postgres://u:p@db/pomerium");
  EXPECT_EQ(o.idp_provider, "oidc");
  EXPECT_EQ(o.idp_provider_url, "https://idp.example.com/realms/x");
  EXPECT_EQ(o.idp_client_id, "12345");
  EXPECT_EQ(o.idp_client_secret, "s3cret");
  EXPECT_EQ(o.idp_scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(o.idp_request_params,
            (std::map<std::string, std::string>{{"hd", "example.com"}, {"prompt", "login"}}));
  EXPECT_EQ(o.cookie_name, "_sess");
  EXPECT_EQ(o.cookie_expire, minutes(90));
  EXPECT_EQ(o.cookie_domain, "example.com");
  EXPECT_FALSE(o.cookie_http_only);
  EXPECT_EQ(o.cookie_same_site, "lax");
  EXPECT_TRUE(o.pass_identity_headers);
  EXPECT_EQ(o.timeout_read, seconds(10));
  EXPECT_EQ(o.timeout_write, minutes(1));
  EXPECT_EQ(o.timeout_idle, seconds(90));
  EXPECT_EQ(o.default_upstream_timeout, seconds(5));
  EXPECT_EQ(o.xff_num_trusted_hops, 2u);
  EXPECT_FALSE(o.normalize_path);
  EXPECT_FALSE(o.merge_slashes);
  EXPECT_EQ(o.path_with_escaped_slashes_action, "UNESCAPE_AND_FORWARD");
  EXPECT_EQ(o.headers_with_underscores_action, "DROP_HEADER");
  EXPECT_EQ(o.metrics_address, "127.0.0.1:9090");
  EXPECT_EQ(o.metrics_basic_auth, "dXNlcjpwYXNz");
  EXPECT_EQ(o.health_check_addr, "");
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.programmatic_redirect_domain_whitelist,
            (std::vector<std::string>{"localhost", "example.com"}));
  EXPECT_EQ(o.signout_redirect_url, "https://example.com/bye");
  EXPECT_EQ(o.num_workers, 4u);
  EXPECT_EQ(o.shutdown_timeout, seconds(3));
  EXPECT_EQ(o.max_request_headers_kb, 96u);
  EXPECT_EQ(o.max_headers_count, 200u);
}

TEST(ConfigOptions, GrpcAddressFollowsPomerium) {
  auto all = load_insecure("address: :5443\n");
  ASSERT_TRUE(all.ok()) << describe(all);
  EXPECT_EQ(all.config->options.grpc_address, ":5444");
  auto authorize_only = load_insecure("services: authorize\n");
  ASSERT_TRUE(authorize_only.ok()) << describe(authorize_only);
  EXPECT_EQ(authorize_only.config->options.grpc_address, ":443");
  auto authenticate = load_insecure("services: authenticate\n");
  ASSERT_TRUE(authenticate.ok()) << describe(authenticate);
  EXPECT_EQ(authenticate.config->options.grpc_address, ":5443");
  auto cache = load_insecure("services: cache\n");
  ASSERT_TRUE(cache.ok()) << describe(cache);
  EXPECT_EQ(cache.config->options.services, std::vector<std::string>{"databroker"});
  EXPECT_TRUE(cache.config->options.has_service("databroker"));
  EXPECT_FALSE(cache.config->options.has_service("proxy"));
  auto explicit_address = load_insecure("grpc_address: :9000\n");
  ASSERT_TRUE(explicit_address.ok()) << describe(explicit_address);
  EXPECT_EQ(explicit_address.config->options.grpc_address, ":9000");
}

TEST(ConfigOptions, JsonIsAcceptedThroughTheSameParser) {
  auto result = load_yaml(
      R"({"insecure_server": true, "address": ":8080", "routes": [{"from": "https://a.example.com", "to": ["http://a:1"], "allow_public_unauthenticated_access": true}]})");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.address, ":8080");
  ASSERT_EQ(result.config->routes.size(), 1u);
  EXPECT_EQ(result.config->routes[0].to[0].authority, "a:1");
}

TEST(ConfigOptions, ResponseHeaderDefaultsAndMerging) {
  auto merged =
      load_insecure("set_response_headers:\n  x-frame-options: DENY\n  X-Custom: \"1\"\n");
  ASSERT_TRUE(merged.ok()) << describe(merged);
  EXPECT_EQ(header_names(merged.config->options.set_response_headers),
            (std::vector<std::string>{"x-frame-options: DENY", "X-XSS-Protection: 1; mode=block",
                                      "X-Custom: 1"}));

  auto disabled = load_insecure("set_response_headers:\n  disable: true\n  X-Custom: a\n");
  ASSERT_TRUE(disabled.ok()) << describe(disabled);
  EXPECT_EQ(header_names(disabled.config->options.set_response_headers),
            std::vector<std::string>{"X-Custom: a"});

  auto only_disable = load_insecure("set_response_headers: {disable: true}\n");
  ASSERT_TRUE(only_disable.ok()) << describe(only_disable);
  EXPECT_TRUE(only_disable.config->options.set_response_headers.empty());
}

TEST(ConfigOptions, JwtClaimsHeadersAsMapListOrString) {
  auto map = load_insecure("jwt_claims_headers:\n  X-Email: email\n  X-Groups: groups\n");
  ASSERT_TRUE(map.ok()) << describe(map);
  EXPECT_EQ(map.config->options.jwt_claims_headers,
            (std::map<std::string, std::string>{{"X-Email", "email"}, {"X-Groups", "groups"}}));
  auto list = load_insecure("jwt_claims_headers: [email, groups]\n");
  ASSERT_TRUE(list.ok()) << describe(list);
  EXPECT_EQ(list.config->options.jwt_claims_headers,
            (std::map<std::string, std::string>{{"x-pomerium-claim-email", "email"},
                                                {"x-pomerium-claim-groups", "groups"}}));
  auto text = load_insecure("jwt_claims_headers: email, name\n");
  ASSERT_TRUE(text.ok()) << describe(text);
  EXPECT_EQ(text.config->options.jwt_claims_headers,
            (std::map<std::string, std::string>{{"x-pomerium-claim-email", "email"},
                                                {"x-pomerium-claim-name", "name"}}));
}

TEST(ConfigOptions, ValidSecretsAreKept) {
  auto result = load_insecure(
      "shared_secret: hsJIQsx9KKx4qVlggg/T3AuLTmVu0uHhwTQgMPlVs7U=\n"
      "cookie_secret: WwMtDXWaRDMBQCylle8OJ+w4kLIDIGd8W3cB4/zFFtg=\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.config->options.shared_secret, "hsJIQsx9KKx4qVlggg/T3AuLTmVu0uHhwTQgMPlVs7U=");
  EXPECT_EQ(result.config->options.cookie_secret, "WwMtDXWaRDMBQCylle8OJ+w4kLIDIGd8W3cB4/zFFtg=");
}

TEST(ConfigOptions, UnknownKeysAreWarningsNotErrors) {
  auto result = load_yaml("insecure_server: true\nfoo: 1\nbar:\n  baz: 2\n");
  ASSERT_TRUE(result.ok()) << describe(result);
  ASSERT_EQ(result.diagnostics.size(), 2u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].to_string(), "warning: foo (line 2): unknown key, ignored");
  EXPECT_EQ(result.diagnostics[1].to_string(), "warning: bar (line 3): unknown key, ignored");
}

TEST(ConfigOptions, KnownButUnsupportedKeysWarn) {
  auto result = load_yaml(
      "autocert: true\nautocert_use_staging: true\nuse_proxy_protocol: true\n"
      "tls_derive: x\nidp_provider: google\notel_traces_exporter: otlp\ncodec_type: auto\n");
  ASSERT_TRUE(result.ok()) << describe(result);  // autocert: no certificate error
  ASSERT_EQ(result.diagnostics.size(), 4u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "warning: autocert (line 1): autocert is not supported yet");
  EXPECT_EQ(result.diagnostics[1].message, "use_proxy_protocol is not supported yet");
  EXPECT_EQ(result.diagnostics[2].message, "tls_derive is not supported yet");
  EXPECT_EQ(result.diagnostics[3].message, "idp_provider google is not supported yet");
  EXPECT_TRUE(result.config->options.autocert);

  auto off = load_insecure("use_proxy_protocol: false\nautocert: false\n");
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off.diagnostics.empty()) << describe(off);
}

TEST(ConfigOptions, MissingCertificateIsAWarning) {
  auto result = load_yaml("address: :443\n");
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            "warning: no TLS certificate configured: a self-signed certificate will be served (set "
            "certificates/certificate_file, or insecure_server behind a TLS terminator)");
}

TEST(ConfigOptions, CollectsEveryProblem) {
  auto result = load_yaml(
      "insecure_server: true\n"
      "timeout_read: 30\n"
      "address: nope\n"
      "log_level: loud\n"
      "routes:\n"
      "  - from: https://a.example.com\n"
      "    to: tcp://a:22\n");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(testing::count_errors(result), 4) << describe(result);
  // In file order.
  ASSERT_EQ(result.diagnostics.size(), 4u);
  EXPECT_EQ(result.diagnostics[0].key, "timeout_read");
  EXPECT_EQ(result.diagnostics[1].key, "address");
  EXPECT_EQ(result.diagnostics[2].key, "log_level");
  EXPECT_EQ(result.diagnostics[3].key, "routes[0].to");
}

TEST(ConfigOptions, SyntaxErrorHasItsLine) {
  auto result = load_yaml("insecure_server: true\nroutes:\n  - from: [a\n  - to: b\n");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << describe(result);
  EXPECT_EQ(result.diagnostics[0].key, "");
  EXPECT_GE(result.diagnostics[0].line, 3);
  EXPECT_NE(result.diagnostics[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_NE(result.diagnostics[0].to_string().find("error: line "), std::string::npos);
}

TEST(ConfigOptions, ScalarDocumentIsAnError) {
  auto result = load_yaml("just text\n");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_NE(result.diagnostics[0].message.find("must be a map"), std::string::npos);
}

TEST(ConfigOptions, MissingFileIsAnError) {
  auto result = load_config_file("/nonexistent/portcullis.yaml", testing::empty_env);
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_NE(result.diagnostics[0].message.find("/nonexistent/portcullis.yaml"), std::string::npos);
}

TEST(Diagnostic, ToStringFormats) {
  Diagnostic error{Diagnostic::Severity::kError, "routes[2].to", 14, "must be a URL"};
  EXPECT_EQ(error.to_string(), "error: routes[2].to (line 14): must be a URL");
  Diagnostic no_line{Diagnostic::Severity::kWarning, "ADDRESS", 0, "something"};
  EXPECT_EQ(no_line.to_string(), "warning: ADDRESS: something");
  Diagnostic no_key{Diagnostic::Severity::kError, "", 3, "YAML syntax error"};
  EXPECT_EQ(no_key.to_string(), "error: line 3: YAML syntax error");
}

// A bad global value: the diagnostic names the key, the line and says what is wrong.
struct BadOption {
  std::string yaml;
  std::string key;
  int line;
  std::string message_part;
};

void PrintTo(const BadOption& param, std::ostream* os) {
  *os << param.key << " <- " << param.yaml;
}

class BadOptionTest : public ::testing::TestWithParam<BadOption> {};

TEST_P(BadOptionTest, IsAnErrorWithKeyLineAndMessage) {
  const auto& param = GetParam();
  auto result = load_yaml(param.yaml);
  EXPECT_FALSE(result.ok()) << param.yaml;
  const Diagnostic* diagnostic = find_diagnostic(result, param.key);
  ASSERT_NE(diagnostic, nullptr) << param.yaml << "\n" << describe(result);
  EXPECT_EQ(diagnostic->severity, Diagnostic::Severity::kError);
  EXPECT_EQ(diagnostic->line, param.line) << describe(result);
  EXPECT_NE(diagnostic->message.find(param.message_part), std::string::npos)
      << "expected \"" << param.message_part << "\" in: " << diagnostic->message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadOptionTest,
    ::testing::Values(
        BadOption{"insecure_server: true\ntimeout_read: 30\n", "timeout_read", 2,
                  "invalid duration \"30\""},
        BadOption{"insecure_server: true\n\n\ncookie_expire: -1h\n", "cookie_expire", 4,
                  "must not be negative"},
        BadOption{"insecure_server: true\ntimeout_idle: [1]\n", "timeout_idle", 2, "wrong type"},
        BadOption{"insecure_server: true\ngrpc_client_timeout: 10\n", "grpc_client_timeout", 2,
                  "invalid duration"},
        BadOption{"insecure_server: true\naddress: 8080\n", "address", 2, "host:port"},
        BadOption{"insecure_server: true\naddress: \"[::1:80\"\n", "address", 2, "']'"},
        BadOption{"insecure_server: true\naddress: ::1:80\n", "address", 2, "brackets"},
        BadOption{"insecure_server: true\naddress: :70000\n", "address", 2, "0 to 65535"},
        BadOption{"insecure_server: true\nhealth_check_addr: localhost\n", "health_check_addr", 2,
                  "host:port"},
        BadOption{"insecure_server: true\nmetrics_address: :x\n", "metrics_address", 2,
                  "0 to 65535"},
        BadOption{"insecure_server: true\nhttp_redirect_addr: \"x:\"\n", "http_redirect_addr", 2,
                  "port"},
        BadOption{"insecure_server: maybe\n", "insecure_server", 1, "wrong type"},
        BadOption{"insecure_server: [true]\n", "insecure_server", 1, "wrong type"},
        BadOption{"insecure_server: true\nservices: all,nope\n", "services", 2,
                  "unknown service \"nope\""},
        BadOption{"insecure_server: true\nservices: \",\"\n", "services", 2, "at least one"},
        BadOption{"insecure_server: true\nshared_secret: c2hvcnQ=\n", "shared_secret", 2,
                  "32 bytes"},
        BadOption{"insecure_server: true\ncookie_secret: REPLACEME\n", "cookie_secret", 2,
                  "base64"},
        BadOption{"insecure_server: true\nshared_secret: \" "
                  "hsJIQsx9KKx4qVlggg/T3AuLTmVu0uHhwTQgMPlVs7U=\"\n",
                  "shared_secret", 2, "whitespace"},
        BadOption{
            "insecure_server: true\ncookie_secret: hsJIQsx9KKx4qVlggg_T3AuLTmVu0uHhwTQgMPlVs7U=\n",
            "cookie_secret", 2, "base64"},
        BadOption{"insecure_server: true\nlog_level: verbose\n", "log_level", 2, "one of"},
        BadOption{"insecure_server: true\ncookie_same_site: sometimes\n", "cookie_same_site", 2,
                  "strict, lax, none"},
        BadOption{"insecure_server: true\ncookie_name: \"a;b\"\n", "cookie_name", 2,
                  "invalid cookie name"},
        BadOption{"insecure_server: true\npath_with_escaped_slashes_action: BOGUS\n",
                  "path_with_escaped_slashes_action", 2, "KEEP_UNCHANGED"},
        BadOption{"insecure_server: true\nheaders_with_underscores_action: nope\n",
                  "headers_with_underscores_action", 2, "DROP_HEADER"},
        BadOption{"insecure_server: true\ndatabroker_storage_type: redis\n",
                  "databroker_storage_type", 2, "memory or postgres"},
        BadOption{"insecure_server: true\ndatabroker_storage_type: postgres\n",
                  "databroker_storage_type", 2, "databroker_storage_connection_string"},
        BadOption{"insecure_server: true\nauthenticate_service_url: ftp://x.example.com\n",
                  "authenticate_service_url", 2, "http"},
        BadOption{"insecure_server: true\nauthenticate_service_url: /relative\n",
                  "authenticate_service_url", 2, "absolute"},
        BadOption{"insecure_server: true\nsignout_redirect_url: not a url\n",
                  "signout_redirect_url", 2, "URL"},
        BadOption{"insecure_server: true\nauthorize_service_urls:\n  - https://ok\n  - bad\n",
                  "authorize_service_urls[1]", 4, "URL"},
        BadOption{"insecure_server: true\nidp_provider_url: idp\n", "idp_provider_url", 2, "URL"},
        BadOption{"insecure_server: true\nxff_num_trusted_hops: -1\n", "xff_num_trusted_hops", 2,
                  "between 0 and"},
        BadOption{"insecure_server: true\nxff_num_trusted_hops: two\n", "xff_num_trusted_hops", 2,
                  "wrong type"},
        BadOption{"insecure_server: true\nmax_request_headers_kb: 0\n", "max_request_headers_kb", 2,
                  "between 1 and 8192"},
        BadOption{"insecure_server: true\nnum_workers: 1.5\n", "num_workers", 2, "wrong type"},
        BadOption{"insecure_server: true\nidp_scopes: {a: b}\n", "idp_scopes", 2, "wrong type"},
        BadOption{"insecure_server: true\nidp_scopes:\n  - [nested]\n", "idp_scopes[0]", 3,
                  "wrong type"},
        BadOption{"insecure_server: true\nidp_request_params: [a]\n", "idp_request_params", 2,
                  "wrong type"},
        BadOption{"insecure_server: true\nset_response_headers: [a]\n", "set_response_headers", 2,
                  "wrong type"},
        BadOption{"insecure_server: true\nset_response_headers:\n  X-A: [1]\n",
                  "set_response_headers.X-A", 3, "wrong type"},
        BadOption{"insecure_server: true\njwt_claims_headers:\n  X-A: {b: c}\n",
                  "jwt_claims_headers.X-A", 3, "wrong type"},
        BadOption{"insecure_server: true\nidp_provider: facebook\n", "idp_provider", 2,
                  "unknown identity provider"},
        BadOption{"insecure_server: true\nmetrics_basic_auth: bm9jb2xvbg==\n", "metrics_basic_auth",
                  2, "user:password"},
        BadOption{"insecure_server: true\npolicy_file: routes.yaml\n", "policy_file", 2, "removed"},
        BadOption{"insecure_server: true\nclient_ca_file: ca.pem\n", "client_ca_file", 2,
                  "removed"},
        BadOption{"insecure_server: true\naddress: :1\naddress: :2\n", "address", 3,
                  "duplicate key"},
        BadOption{"insecure_server: true\nroutes: x\n", "routes", 2, "list of routes"},
        BadOption{"insecure_server: true\nroutes:\n  - just-a-string\n", "routes[0]", 3,
                  "expected a route"},
        BadOption{"insecure_server: true\ndownstream_mtls:\n  enforcement: sometimes\n",
                  "downstream_mtls.enforcement", 3, "reject_connection"},
        BadOption{"insecure_server: true\ndownstream_mtls: [a]\n", "downstream_mtls", 2,
                  "wrong type"}));

}  // namespace
}  // namespace portcullis::config
