// How blocks and rules combine results and reasons (pkg/policy/generator semantics), and how
// route flags become PPL (config/policy_ppl.go).

#include "policy_test_support.h"

namespace portcullis::policy {
namespace {

using testing::describe;
using testing::evaluate_text;
using testing::parse_verdict;

struct Row {
  const char* name;
  const char* policy;
  const char* input;
  const char* allow;
  const char* deny = "false:";
};

constexpr const char* kAlice = R"({"session": {"id": "s1", "user_id": "u1"},
  "user": {"id": "u1", "email": "alice@example.com"}, "http": {"method": "GET"}})";

const Row kRows[] = {
    {"empty policy", "{}", kAlice, "false:"},
    {"empty allow", "allow: {}", kAlice, "false:"},
    {"empty and block is skipped", "allow: {and: [], or: [accept: true]}", kAlice, "true: accept"},
    {"and all true", "allow: {and: [accept: 1, email: alice@example.com]}", kAlice,
     "true: accept, email-ok"},
    {"and one false keeps the false reasons",
     "allow: {and: [accept: 1, email: bob@example.com, http_method: POST]}", kAlice,
     "false: email-unauthorized, http-method-unauthorized"},
    {"or one true keeps the true reasons",
     "allow: {or: [reject: 1, email: alice@example.com, accept: 1]}", kAlice,
     "true: accept, email-ok"},
    {"or all false", "allow: {or: [reject: 1, email: bob@example.com]}", kAlice,
     "false: email-unauthorized, reject"},
    // not = none true (NOR); nor = not all true (NAND)
    {"not, none true", "allow: {not: [reject: 1, email: bob@example.com]}", kAlice,
     "true: email-unauthorized, reject"},
    {"not, one true", "allow: {not: [reject: 1, email: alice@example.com]}", kAlice,
     "false: email-ok"},
    {"nor, one true", "allow: {nor: [reject: 1, email: alice@example.com]}", kAlice,
     "true: reject"},
    {"nor, all true", "allow: {nor: [accept: 1, email: alice@example.com]}", kAlice,
     "false: accept, email-ok"},
    {"not of a single true", "deny: {not: [http_method: GET]}", kAlice,
     "false:", "false: http-method-ok"},
    {"nor of a single false", "deny: {nor: [http_method: POST]}", kAlice,
     "false:", "true: http-method-unauthorized"},
    {"blocks of one rule are OR-ed", "allow: {and: [reject: 1], or: [email: alice@example.com]}",
     kAlice, "true: email-ok"},
    {"rules of one action are OR-ed",
     "[{allow: {and: [reject: 1]}}, {allow: {and: [email: alice@example.com]}}]", kAlice,
     "true: email-ok"},
    {"deny and allow", "allow: {and: [accept: 1]}\ndeny: {or: [email: alice@example.com]}", kAlice,
     "true: accept", "true: email-ok"},
    {"deny false reasons", "allow: {and: [accept: 1]}\ndeny: {or: [email: bob@example.com]}",
     kAlice, "true: accept", "false: email-unauthorized"},
    {"unauthenticated anywhere", "allow: {or: [accept: 1, email: a@b.c]}", "{}", "true: accept"},
    {"action key is ignored", "allow: {action: allow, and: [accept: 1]}", kAlice, "true: accept"},
    {"JSON policy", R"({"allow": {"or": [{"email": {"is": "alice@example.com"}}]}})", kAlice,
     "true: email-ok"},
    {"typical route", R"(
allow:
  or:
    - email:
        is: alice@example.com
    - groups:
        has: admins
deny:
  or:
    - http_method:
        is: DELETE
)",
     kAlice, "true: email-ok", "false: http-method-unauthorized"},
};

class OperatorTable : public ::testing::TestWithParam<Row> {};

TEST_P(OperatorTable, Evaluates) {
  const Row& row = GetParam();
  Decision d = evaluate_text(row.policy, row.input);
  EXPECT_EQ(describe(d.allow), describe(parse_verdict(row.allow))) << row.policy;
  EXPECT_EQ(describe(d.deny), describe(parse_verdict(row.deny))) << row.policy;
}

INSTANTIATE_TEST_SUITE_P(Policy, OperatorTable, ::testing::ValuesIn(kRows));

// Route flags → the same rules.
struct RouteRow {
  const char* name;
  RouteFlags flags;
  const char* policy_json;
  const char* input;
  const char* allow;
  const char* deny = "false:";
};

RouteFlags users(std::vector<std::string> u) {
  RouteFlags f;
  f.allowed_users = std::move(u);
  return f;
}
RouteFlags domains(std::vector<std::string> d) {
  RouteFlags f;
  f.allowed_domains = std::move(d);
  return f;
}
RouteFlags claims(std::map<std::string, std::vector<std::string>> c) {
  RouteFlags f;
  f.allowed_idp_claims = std::move(c);
  return f;
}
RouteFlags public_access() {
  RouteFlags f;
  f.allow_public_unauthenticated_access = true;
  return f;
}
RouteFlags any_user() {
  RouteFlags f;
  f.allow_any_authenticated_user = true;
  return f;
}
RouteFlags cors() {
  RouteFlags f;
  f.cors_allow_preflight = true;
  return f;
}
RouteFlags mtls(RouteFlags f) {
  f.deny_invalid_client_certificate = true;
  return f;
}

const RouteRow kRouteRows[] = {
    {"no flags, no policy denies", {}, "", kAlice, "false:"},
    {"public", public_access(), "", "{}", "true: accept"},
    {"any authenticated user", any_user(), "", kAlice, "true: user-ok"},
    {"any authenticated user, anonymous", any_user(), "", "{}", "false: user-unauthenticated"},
    {"cors preflight", cors(), "",
     R"({"http": {"method": "OPTIONS", "headers": {"Origin": "x", "Access-Control-Request-Method": "GET"}}})",
     "true: cors-request"},
    {"cors preflight, other request", cors(), "", "{}", "false: non-cors-request"},
    {"allowed user by email", users({"alice@example.com"}), "", kAlice, "true: email-ok"},
    {"allowed user by id", users({"u1"}), "", kAlice, "true: user-ok"},
    {"allowed user, other", users({"bob@example.com"}), "", kAlice,
     "false: email-unauthorized, user-unauthorized"},
    {"allowed domain", domains({"example.com"}), "", kAlice, "true: domain-ok"},
    {"allowed claim", claims({{"family_name", {"Smith", "Jones"}}}), "",
     R"({"session": {"id": "s", "claims": {"family_name": ["Jones"]}}})", "true: claim-ok"},
    {"policy alone",
     {},
     R"({"allow": {"or": [{"email": {"is": "alice@example.com"}}]}})",
     kAlice,
     "true: email-ok"},
    {"flags and policy are OR-ed", users({"bob@example.com"}),
     R"([{"allow": {"or": [{"domain": {"is": "example.com"}}]}}])", kAlice, "true: domain-ok"},
    {"mtls deny appended", mtls(public_access()), "", "{}", "true: accept",
     "true: client-certificate-required"},
    {"mtls valid certificate", mtls(public_access()), "",
     R"({"client_certificate": {"presented": true, "valid": true}})", "true: accept",
     "false: valid-client-certificate"},
};

class RouteTable : public ::testing::TestWithParam<RouteRow> {};

TEST_P(RouteTable, Evaluates) {
  const RouteRow& row = GetParam();
  auto compiled = compile_route(row.flags, row.policy_json);
  ASSERT_TRUE(compiled.ok()) << compiled.error;
  JsonInput input(nlohmann::json::parse(row.input), testing::test_now());
  Decision d = compiled.policy->evaluate(input.input());
  EXPECT_EQ(describe(d.allow), describe(parse_verdict(row.allow))) << row.name;
  EXPECT_EQ(describe(d.deny), describe(parse_verdict(row.deny))) << row.name;
}

INSTANTIATE_TEST_SUITE_P(Policy, RouteTable, ::testing::ValuesIn(kRouteRows));

// Whether a policy reads only the principal (a caller may then keep its decision per principal):
// every criterion must, in allow and deny rules alike.
TEST(CompiledPolicy, PrincipalOnly) {
  struct PrincipalRow {
    const char* policy;
    bool principal_only;
  };
  const PrincipalRow rows[] = {
      {"{}", true},
      {"allow: {or: [accept: 1]}", true},
      {"allow: {or: [reject: 1]}", true},
      {"allow: {and: [email: alice@example.com, groups: admins]}", true},
      {"allow: {or: [domain: {is: example.com}, user: u1, authenticated_user: 1]}", true},
      {"allow: {and: ['claim/groups': admin]}", true},
      {"allow: {not: [email: bob@example.com]}", true},
      {"allow: {and: [email: alice@example.com, http_method: {is: GET}]}", false},
      {"allow: {and: [http_path: {is: /test}]}", false},
      {"allow: {and: [source_ip: 10.0.0.0/8]}", false},
      {"allow: {and: [cors_preflight: 1]}", false},
      {"allow: {and: [invalid_client_certificate: true]}", false},
      {"allow: {and: [day_of_week: '*']}", false},
      {"allow: {and: [device: {approved: false}]}", false},
      {"allow: {and: [record: {type: example.com/hr, exists: false}]}", false},
      {"[{allow: {or: [email: alice@example.com]}}, {deny: {or: [http_method: {is: POST}]}}]",
       false},
  };
  for (const auto& row : rows) {
    auto compiled = compile_policy_text(row.policy);
    ASSERT_TRUE(compiled.ok()) << row.policy << ": " << compiled.error;
    EXPECT_EQ(compiled.policy->principal_only(), row.principal_only) << row.policy;
  }
}

TEST(RoutePpl, MatchesPomeriumOrder) {
  RouteFlags f;
  f.allow_public_unauthenticated_access = true;
  f.cors_allow_preflight = true;
  f.allow_any_authenticated_user = true;
  f.allowed_domains = {"a.example.com"};
  f.allowed_users = {"user1"};
  f.allowed_idp_claims = {{"family_name", {"Smith"}}};
  nlohmann::json policy = {{"allow", {{"or", {{{"user", {{"is", "user6"}}}}}}}}};
  auto ppl = route_ppl(f, &policy);
  auto expected = nlohmann::json::parse(R"([
    {"allow": {"or": [{"accept": true}, {"cors_preflight": true}, {"authenticated_user": true},
      {"domain": {"is": "a.example.com"}}, {"claim/family_name": "Smith"},
      {"user": {"is": "user1"}}, {"email": {"is": "user1"}}]}},
    {"allow": {"or": [{"user": {"is": "user6"}}]}}])");
  EXPECT_EQ(ppl, expected);
}

TEST(RoutePpl, EmptyAllowOmittedWithPolicy) {
  nlohmann::json policy = {{"deny", {{"or", {{{"reject", true}}}}}}};
  EXPECT_EQ(route_ppl({}, &policy).size(), 1u);
  EXPECT_EQ(route_ppl({}, nullptr), nlohmann::json::parse(R"([{"allow": {"or": []}}])"));
}

TEST(RoutePpl, PolicyErrorsNumberTheOperatorsRules) {
  auto compiled = compile_route(users({"a@b.c"}), R"([{"allow": {"or": [{"emial": "x"}]}}])");
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.error,
            "policy: rule 1 allow.or[1] \"emial\": unknown policy criterion \"emial\"");
}

}  // namespace
}  // namespace portcullis::policy
