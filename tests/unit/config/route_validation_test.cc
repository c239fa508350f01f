// Invalid routes: every diagnostic names the key path, the line and what is wrong.

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::config {
namespace {

using testing::describe;
using testing::find_diagnostic;
using testing::load_yaml;

// A bad route: the diagnostic names the key, the line and says what is wrong.
struct BadRoute {
  std::string routes_yaml;  // after "insecure_server: true\nroutes:\n" (the first route is line 3)
  std::string key;
  int line;
  std::string message_part;
};

void PrintTo(const BadRoute& param, std::ostream* os) {
  *os << param.key << " <- " << param.routes_yaml;
}

class BadRouteTest : public ::testing::TestWithParam<BadRoute> {};

TEST_P(BadRouteTest, IsAnErrorWithKeyLineAndMessage) {
  const auto& param = GetParam();
  auto result = load_yaml("insecure_server: true\nroutes:\n" + param.routes_yaml);
  EXPECT_FALSE(result.ok());
  const Diagnostic* diagnostic = find_diagnostic(result, param.key);
  ASSERT_NE(diagnostic, nullptr) << describe(result);
  EXPECT_EQ(diagnostic->severity, Diagnostic::Severity::kError);
  EXPECT_EQ(diagnostic->line, param.line) << describe(result);
  EXPECT_NE(diagnostic->message.find(param.message_part), std::string::npos)
      << "expected \"" << param.message_part << "\" in: " << diagnostic->message;
}

const char kFrom[] = "  - from: https://a.example.com\n";

INSTANTIATE_TEST_SUITE_P(
    Table, BadRouteTest,
    ::testing::Values(
        BadRoute{"  - to: http://a\n", "routes[0]", 3, "needs from"},
        BadRoute{"  - from: ftp://a.example.com\n    to: http://a\n", "routes[0].from", 3,
                 "scheme must be http or https"},
        BadRoute{"  - from: https://a.example.com/app\n    to: http://a\n", "routes[0].from", 3,
                 "must not contain a path"},
        BadRoute{"  - from: tcp+https://a.example.com:22\n    to: tcp://a:22\n", "routes[0].from",
                 3, "not supported yet"},
        BadRoute{"  - from: \"https://\"\n    to: http://a\n", "routes[0].from", 3, "no host"},
        BadRoute{"  - from: https://a.example.com?x=1\n    to: http://a\n", "routes[0].from", 3,
                 "scheme://host[:port] only"},
        BadRoute{std::string(kFrom) + "    name: x\n", "routes[0]", 3,
                 "needs one of to, redirect or response"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    redirect: {https_redirect: true}\n",
                 "routes[0]", 3, "only one of to, redirect or response"},
        BadRoute{std::string(kFrom) + "    to: tcp://a:22\n", "routes[0].to", 4,
                 "scheme \"tcp\" is not supported yet"},
        BadRoute{std::string(kFrom) + "    to:\n      - http://a\n      - unix:///run/a.sock\n",
                 "routes[0].to[1]", 6, "not supported yet"},
        BadRoute{std::string(kFrom) + "    to: gopher://a\n", "routes[0].to", 4,
                 "http, https or h2c"},
        BadRoute{std::string(kFrom) + "    to: http://a,0\n", "routes[0].to", 4,
                 "positive integer"},
        BadRoute{std::string(kFrom) + "    to: http://a,x\n", "routes[0].to", 4, "invalid weight"},
        BadRoute{std::string(kFrom) + "    to:\n      - http://a,1\n      - http://b\n",
                 "routes[0].to", 5, "all or none"},
        BadRoute{std::string(kFrom) + "    to: {a: b}\n", "routes[0].to", 4, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: []\n", "routes[0].to", 4, "at least one"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    regex: \"(\"\n", "routes[0].regex", 5,
                 "invalid regex: missing )"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    path: app\n", "routes[0].path", 5,
                 "must start with '/'"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    prefix: app\n", "routes[0].prefix", 5,
                 "must start with '/'"},
        BadRoute{std::string(kFrom) +
                     "    to: http://a\n    prefix_rewrite: /x\n    regex_rewrite_pattern: a\n",
                 "routes[0].regex_rewrite_pattern", 6, "only one of"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    regex_rewrite_pattern: \"[\"\n",
                 "routes[0].regex_rewrite_pattern", 5, "invalid regex"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    regex_rewrite_pattern: (a)\n"
                                      "    regex_rewrite_substitution: \\2\n",
                 "routes[0].regex_rewrite_substitution", 6, "invalid substitution"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    regex_rewrite_substitution: /x\n",
                 "routes[0].regex_rewrite_substitution", 5, "needs regex_rewrite_pattern"},
        BadRoute{std::string(kFrom) + "    redirect:\n      response_code: 304\n",
                 "routes[0].redirect.response_code", 5, "unsupported redirect response code"},
        BadRoute{std::string(kFrom) + "    redirect:\n      port_redirect: 70000\n",
                 "routes[0].redirect.port_redirect", 5, "between 0 and 65535"},
        BadRoute{std::string(kFrom) +
                     "    redirect:\n      https_redirect: true\n      scheme_redirect: http\n",
                 "routes[0].redirect.scheme_redirect", 6, "https_redirect"},
        BadRoute{std::string(kFrom) +
                     "    redirect:\n      path_redirect: /a\n      prefix_rewrite: /b\n",
                 "routes[0].redirect.prefix_rewrite", 6, "path_redirect"},
        BadRoute{std::string(kFrom) + "    redirect: [a]\n", "routes[0].redirect", 4, "wrong type"},
        BadRoute{std::string(kFrom) + "    response:\n      status: 42\n",
                 "routes[0].response.status", 5, "between 100 and 599"},
        BadRoute{std::string(kFrom) + "    response: [200]\n", "routes[0].response", 4,
                 "wrong type"},
        BadRoute{std::string(kFrom) +
                     "    to: http://a\n    allow_public_unauthenticated_access: true\n"
                     "    allowed_users: [a@b.c]\n",
                 "routes[0].allow_public_unauthenticated_access", 5, "public route"},
        BadRoute{std::string(kFrom) +
                     "    to: http://a\n    allow_public_unauthenticated_access: true\n"
                     "    policy:\n      - allow: {or: [{accept: true}]}\n",
                 "routes[0].allow_public_unauthenticated_access", 5, "public route"},
        BadRoute{std::string(kFrom) +
                     "    to: http://a\n    allow_public_unauthenticated_access: true\n"
                     "    allowed_idp_claims: {groups: [a]}\n",
                 "routes[0].allow_public_unauthenticated_access", 5, "public route"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    allow_any_authenticated_user: true\n"
                                      "    allowed_domains: [example.com]\n",
                 "routes[0].allow_any_authenticated_user", 5, "any authenticated user"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    timeout: 10\n", "routes[0].timeout", 5,
                 "invalid duration"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    idle_timeout: -1s\n",
                 "routes[0].idle_timeout", 5, "negative"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    load_balancing_policy: FASTEST\n",
                 "routes[0].load_balancing_policy", 5, "ROUND_ROBIN"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    tls_custom_ca: not-pem\n",
                 "routes[0].tls_custom_ca", 5, "PEM"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    tls_custom_ca_file: missing-ca.pem\n",
                 "routes[0].tls_custom_ca_file", 5,
                 "cannot read file /tmp/portcullis-test/missing-ca.pem"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    tls_client_cert_file: c.pem\n",
                 "routes[0].tls_client_cert_file", 5, "set together"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    allowed_groups: [admins]\n",
                 "routes[0].allowed_groups", 5, "removed"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    id: x\n" + kFrom +
                     "    to: http://b\n    id: x\n",
                 "routes[1].id", 6, "duplicate route id \"x\""},
        BadRoute{std::string(kFrom) + "    to: http://a\n    set_request_headers: [a]\n",
                 "routes[0].set_request_headers", 5, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    remove_request_headers: {a: b}\n",
                 "routes[0].remove_request_headers", 5, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    allowed_users: {a: b}\n",
                 "routes[0].allowed_users", 5, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    pass_identity_headers: sure\n",
                 "routes[0].pass_identity_headers", 5, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    allowed_idp_claims: [a]\n",
                 "routes[0].allowed_idp_claims", 5, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: http://a\n    allow_websockets: 1.0\n",
                 "routes[0].allow_websockets", 5, "wrong type"},
        BadRoute{std::string(kFrom) + "    to: http://a\n  - from: https://b.example.com\n",
                 "routes[1]", 5, "needs one of to"}));

}  // namespace
}  // namespace portcullis::config
