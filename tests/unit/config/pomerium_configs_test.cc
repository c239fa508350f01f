// Every real Pomerium config file in ../shared/pomerium-configs loads: no unknown key, no wrong
// type; what depends on this machine (absent certificate files, autocert, named identity
// providers) is reported as exactly that.

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "test_support.h"

namespace portcullis::config {
namespace {

using testing::describe;
using testing::testdata_path;

std::string shared_config(std::string_view name) {
  return std::string(PORTCULLIS_SHARED_CONFIGS_DIR) + "/" + std::string(name);
}

LoadResult load_shared(std::string_view name, std::map<std::string, std::string> env = {}) {
  testing::ScopedEnv scoped(std::move(env));
  return load_config_file(shared_config(name), testing::fake_env);
}

std::vector<std::string> diagnostics_of(const LoadResult& result) {
  std::vector<std::string> lines;
  for (const auto& diagnostic : result.diagnostics) lines.push_back(diagnostic.to_string());
  return lines;
}

// Environment that supplies what the example files expect to find on their host.
std::map<std::string, std::string> deployment_env() {
  return {{"CERTIFICATE_FILE", testdata_path("cert.pem")},
          {"CERTIFICATE_KEY_FILE", testdata_path("key.pem")}};
}

const std::string kNoCertificate =
    "warning: no TLS certificate configured: a self-signed certificate will be served (set "
    "certificates/certificate_file, or insecure_server behind a TLS terminator)";
const std::string kGoogle = "idp_provider google is not supported yet";

TEST(PomeriumConfigs, NoUnknownKeyOrWrongTypeInAnyFile) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PORTCULLIS_SHARED_CONFIGS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    auto result = load_config_file(entry.path().string(), testing::empty_env);
    for (const auto& diagnostic : result.diagnostics) {
      EXPECT_EQ(diagnostic.message.find("unknown key"), std::string::npos)
          << entry.path() << ": " << diagnostic.to_string();
      EXPECT_EQ(diagnostic.message.find("wrong type"), std::string::npos)
          << entry.path() << ": " << diagnostic.to_string();
      EXPECT_EQ(diagnostic.message.find("YAML syntax"), std::string::npos)
          << entry.path() << ": " << diagnostic.to_string();
    }
  }
  EXPECT_EQ(files, 8);
}

TEST(PomeriumConfigs, BasicListOfRoutes) {
  auto result = load_shared("config_testdata_basic.yaml");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(diagnostics_of(result),
            (std::vector<std::string>{
                "warning: line 1: the file is a list of routes; accepted, but put them under "
                "routes:",
                kNoCertificate}));
  auto insecure = load_shared("config_testdata_basic.yaml", {{"INSECURE_SERVER", "true"}});
  ASSERT_TRUE(insecure.ok()) << describe(insecure);
  ASSERT_EQ(insecure.config->routes.size(), 1u);
  const Route& route = insecure.config->routes[0];
  EXPECT_EQ(route.from, "https://pomerium.io");
  EXPECT_EQ(route.to[0].url, "http://httpbin.org");
  EXPECT_TRUE(route.denies_everything());
}

TEST(PomeriumConfigs, DockerExample) {
  auto result = load_shared("examples_config_config.docker.yaml");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(diagnostics_of(result),
            (std::vector<std::string>{
                "error: certificate_file (line 11): cannot read file /pomerium/cert.pem: No such "
                "file or directory",
                "error: certificate_key_file (line 12): cannot read file /pomerium/privkey.pem: No "
                "such file or directory",
                "warning: idp_provider (line 19): " + kGoogle}));
  auto deployed = load_shared("examples_config_config.docker.yaml", deployment_env());
  ASSERT_TRUE(deployed.ok()) << describe(deployed);
  const Config& config = *deployed.config;
  EXPECT_EQ(config.options.authenticate_service_url, "https://authenticate.localhost.pomerium.io");
  EXPECT_EQ(config.options.cookie_secret, "V2JBZk0zWGtsL29UcFUvWjVDWWQ2UHExNXJ0b2VhcDI=");
  EXPECT_EQ(config.options.idp_client_id, "REPLACE_ME");
  ASSERT_EQ(config.routes.size(), 1u);
  EXPECT_EQ(config.routes[0].from, "https://verify.localhost.pomerium.io");
  EXPECT_EQ(config.routes[0].to[0].authority, "verify:8000");
  EXPECT_EQ(config.routes[0].pass_identity_headers, true);
  EXPECT_EQ(config.routes[0].policy_json,
            R"([{"allow":{"or":[{"email":{"is":"user@example.com"}}]}}])");
}

TEST(PomeriumConfigs, FullExample) {
  auto result = load_shared("examples_config_config.example.yaml");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(diagnostics_of(result), std::vector<std::string>{kNoCertificate});
  auto insecure = load_shared("examples_config_config.example.yaml", {{"INSECURE_SERVER", "true"}});
  ASSERT_TRUE(insecure.ok()) << describe(insecure);
  const auto& routes = insecure.config->routes;
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_TRUE(routes[0].cors_allow_preflight);
  EXPECT_EQ(routes[0].timeout, std::chrono::seconds(30));
  EXPECT_EQ(routes[1].to[0].scheme, "https");
  EXPECT_EQ(routes[1].to[0].port, 443);
  EXPECT_EQ(
      routes[2].policy_json,
      R"([{"allow":{"or":[{"email":{"is":"user@example.com"}},{"groups":{"has":"admins"}},{"groups":{"has":"developers"}}]}}])");
  EXPECT_EQ(routes[3].line, 95);
}

TEST(PomeriumConfigs, MinimalExampleWithAutocertLoads) {
  auto result = load_shared("examples_config_config.minimal.yaml");
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(diagnostics_of(result),
            (std::vector<std::string>{"warning: autocert (line 8): autocert is not supported yet",
                                      "warning: idp_provider (line 14): " + kGoogle}));
  EXPECT_TRUE(result.config->options.autocert);
  ASSERT_EQ(result.config->routes.size(), 1u);
  EXPECT_EQ(result.config->routes[0].to[0].authority, "verify.pomerium.com");
}

TEST(PomeriumConfigs, RouteOnlyExample) {
  auto result = load_shared("examples_config_route.example.yaml");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(diagnostics_of(result), std::vector<std::string>{kNoCertificate});
  auto insecure = load_shared("examples_config_route.example.yaml", {{"INSECURE_SERVER", "true"}});
  ASSERT_TRUE(insecure.ok()) << describe(insecure);
  EXPECT_EQ(insecure.config->routes.size(), 4u);
}

TEST(PomeriumConfigs, MutualTlsExample) {
  auto result = load_shared("examples_mutual-tls_example.config.yaml");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(
      diagnostics_of(result),
      (std::vector<std::string>{"warning: idp_provider (line 6): " + kGoogle, kNoCertificate}));
  auto deployed = load_shared("examples_mutual-tls_example.config.yaml", deployment_env());
  ASSERT_TRUE(deployed.ok()) << describe(deployed);
  const auto& config = *deployed.config;
  EXPECT_EQ(config.options.authorize_service_urls,
            std::vector<std::string>{"https://authorize.corp.domain.example"});
  ASSERT_EQ(config.routes.size(), 2u);
  // base64 PEM decoded and the client certificate checked against its key.
  EXPECT_EQ(config.routes[0].tls_custom_ca_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(config.routes[0].tls_client_cert_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(config.routes[0].tls_client_key_pem.rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  EXPECT_TRUE(config.routes[1].allow_public_unauthenticated_access);
}

TEST(PomeriumConfigs, TiddlywikiExampleHasAPlaceholderSecret) {
  auto result = load_shared("examples_tiddlywiki_config.yaml");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(diagnostics_of(result),
            (std::vector<std::string>{
                "warning: autocert (line 2): autocert is not supported yet",
                "warning: idp_provider (line 4): " + kGoogle,
                "error: cookie_secret (line 8): must be the standard base64 encoding of 32 bytes "
                "(head -c32 /dev/urandom | base64), got invalid base64"}));
  auto fixed = load_shared("examples_tiddlywiki_config.yaml",
                           {{"COOKIE_SECRET", "WwMtDXWaRDMBQCylle8OJ+w4kLIDIGd8W3cB4/zFFtg="}});
  ASSERT_TRUE(fixed.ok()) << describe(fixed);
  EXPECT_EQ(fixed.config->options.jwt_claims_headers,
            (std::map<std::string, std::string>{{"x-pomerium-claim-email", "email"}}));
}

TEST(PomeriumConfigs, AcceptanceConfig) {
  auto result = load_shared("internal_acceptance_pomerium_config.yaml");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(diagnostics_of(result),
            (std::vector<std::string>{
                "error: certificate_file (line 21): cannot read file /certs/pomerium.crt: No such "
                "file or directory",
                "error: certificate_key_file (line 22): cannot read file /certs/pomerium.key: No "
                "such file or directory",
                "warning: routes[6].tls_downstream_client_ca_file (line 133): "
                "tls_downstream_client_ca_file is not supported yet"}));

  auto deployed = load_shared("internal_acceptance_pomerium_config.yaml", deployment_env());
  ASSERT_TRUE(deployed.ok()) << describe(deployed);
  const Config& config = *deployed.config;
  const Options& o = config.options;
  EXPECT_EQ(o.address, ":8443");
  EXPECT_EQ(o.grpc_address, ":5443");
  EXPECT_EQ(o.authenticate_service_url, "https://authenticate.localhost.pomerium.io:8443");
  EXPECT_EQ(o.idp_provider, "oidc");
  EXPECT_EQ(o.idp_scopes,
            (std::vector<std::string>{"openid", "profile", "email", "groups", "offline_access"}));
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.jwt_claims_headers.size(), 3u);
  EXPECT_EQ(o.jwt_claims_headers.at("X-Pomerium-Claim-Department"), "department");
  EXPECT_EQ(o.cookie_same_site, "lax");
  EXPECT_EQ(o.programmatic_redirect_domain_whitelist,
            std::vector<std::string>{"localhost.pomerium.io"});
  EXPECT_EQ(o.shared_secret, "0CdEkgO02jgxmgSC2AdkqIbFELAN4CGw0v0RY85xNr4=");

  const auto& routes = config.routes;
  ASSERT_EQ(routes.size(), 20u);
  EXPECT_EQ(routes[0].from, "https://app.localhost.pomerium.io:8443");
  EXPECT_EQ(routes[0].from_port, 8443);
  EXPECT_EQ(routes[0].path_value, "/ws");
  EXPECT_TRUE(routes[0].allow_websockets);
  EXPECT_EQ(routes[0].timeout, Duration{0});
  EXPECT_TRUE(routes[1].preserve_host_header);
  EXPECT_TRUE(routes[4].allow_public_unauthenticated_access);
  EXPECT_TRUE(routes[4].cors_allow_preflight);
  EXPECT_EQ(routes[12].set_request_headers.size(), 1u);
  EXPECT_EQ(routes[12].set_request_headers[0].value, "${pomerium.jwt}");
  EXPECT_EQ(routes[16].host_rewrite, "rewritten.example.internal");
  EXPECT_EQ(routes[16].remove_request_headers, std::vector<std::string>{"x-forwarded-host"});
  EXPECT_EQ(routes[18].path_value, "/");
  EXPECT_EQ(routes[18].timeout, std::chrono::seconds(30));
  // Route ids are unique.
  std::set<std::string> ids;
  for (const auto& route : routes) ids.insert(route.id);
  EXPECT_EQ(ids.size(), routes.size());
  // HSTS with a certificate.
  EXPECT_EQ(o.set_response_headers.size(), 3u);
}

}  // namespace
}  // namespace portcullis::config
