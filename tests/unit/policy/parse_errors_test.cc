// Policies that must not compile, and the message that says why and where.

#include "policy_test_support.h"

namespace portcullis::policy {
namespace {

struct Row {
  const char* policy;
  const char* message;  // a substring of the error
};

const Row kRows[] = {
    // grammar (facts of parser_test.go)
    {"1", "a policy must be a rule (an object) or a list of rules, got number"},
    {"some-other-action: {}", "rule 1: unsupported action \"some-other-action\""},
    {"[{some-other-action: {}}]", "rule 1: unsupported action"},
    {"[1]", "rule 1: a rule must be an object"},
    {"[{allow: {}}, {deny: {iff: []}}]",
     "rule 2 deny: unsupported block \"iff\", only and, or, not, nor and action are allowed"},
    {"allow: {and: [{}]}", "rule 1 allow.and[1]: each criterion may only contain a single key"},
    {"allow: {and: [{criterion1: 1, criterion2: 1}]}",
     "rule 1 allow.and[1]: each criterion may only contain a single key"},
    {"allow: {and: {criterion1: 1}}", "rule 1 allow.and: expected a list of criteria, got object"},
    {"allow: {and: [1]}", "rule 1 allow.and[1]: a criterion must be an object, got number"},
    {"allow: [accept: true]", "rule 1 allow: expected an object of and/or/not/nor blocks"},
    // criteria and matchers
    {"allow: {and: [accept: true, criterion1: 1]}",
     "rule 1 allow.and[2] \"criterion1\": unknown policy criterion \"criterion1\""},
    {"allow: {or: [email: {iss: a}]}",
     "rule 1 allow.or[1] \"email\": unknown string matcher operator \"iss\""},
    {"allow: {or: [email: 5]}",
     "\"email\": string matcher operator \"is\" expects a string, got number"},
    {"allow: {or: [email: {in: a}]}", "string matcher operator \"in\" expects an array of strings"},
    {"allow: {or: [email: {in: [a, 1]}]}", "string matcher operator \"in\" expects a string"},
    {"allow: {or: [email: {}]}", "string matcher must have at least one operator"},
    {"allow: {or: [groups: {contains: a}]}",
     "\"groups\": unknown string list matcher operator \"contains\""},
    {"allow: {or: [groups: 5]}",
     "\"groups\": string list matcher operator \"has\" expects a string"},
    {"allow: {or: [claim/x: {has: {a: b}}]}", "expects a string, number or boolean, got object"},
    {"allow: {or: [claim: x]}", "\"claim\": criterion \"claim\" needs a claim name"},
    {"allow: {or: [email/x: a]}", "criterion \"email\" takes no sub-path"},
    {"allow: {or: [accept: false]}", "\"accept\" ignores its value"},
    {"allow: {or: [source_ip: not-an-ip-address]}",
     "expected IP or CIDR range, got: \"not-an-ip-address\""},
    {"allow: {or: [source_ip: {key: value}]}", "expected string or array of strings, got object"},
    {"allow: {or: [source_ip: [{key: value}]]}", "expected string value, got object"},
    {"allow: {or: [source_ip: 10.0.0.0/33]}", "expected IP or CIDR range"},
    {"allow: {or: [client_certificate: abc]}", "expected object for certificate matcher"},
    {"allow: {or: [client_certificate: {fingerprint: abc}]}",
     "unsupported certificate fingerprint format (abc)"},
    {"allow: {or: [client_certificate: {spki_hash: abc}]}",
     "certificate SPKI hash must be a base64-encoded SHA-256 hash (was abc)"},
    {"allow: {or: [client_certificate: {issuer: x}]}",
     "unsupported certificate matcher condition \"issuer\""},
    {"allow: {or: [device: {foo: 1}]}", "unexpected field in device criterion: \"foo\""},
    {"allow: {or: [device: {is: 1}]}", "expected string for device criterion is operator"},
    {"allow: {or: [date: {after: yesterday}]}", "date: after is not an ISO 8601 date"},
    {"allow: {or: [date: {during: '2020-01-01'}]}", "date: unknown operator \"during\""},
    {"allow: {or: [day_of_week: someday]}", "day_of_week: expected *, days like mon,wed"},
    {"allow: {or: [time_of_day: {after: '10:00'}]}", "time_of_day: timezone is required"},
    {"allow: {or: [time_of_day: {timezone: Mars/Olympus, after: '10:00'}]}",
     "time_of_day: unknown time zone \"Mars/Olympus\""},
    {"allow: {or: [time_of_day: {timezone: UTC, after: '25:00'}]}",
     "time_of_day: after is not a time"},
    {"allow: {or: [record: {field: x, is: y}]}", "record: type is required"},
    {"allow: {or: [record: {type: t, field: x}]}", "record: field \"x\" needs an operator"},
    {"allow: {or: [record: {type: t, field: x, '>': a}]}", "record: \">\" expects a number"},
    {"allow: {or: [record: {type: t, foo: 1}]}", "record: unknown operator \"foo\""},
    {"allow: {and: [email: a\n", "invalid YAML"},
    {"{\"allow\": ", "invalid JSON"},
    {"allow: {a: 1, a: 2}", "duplicate key \"a\""},
};

class ParseErrorTable : public ::testing::TestWithParam<Row> {};

TEST_P(ParseErrorTable, NamesTheProblem) {
  auto compiled = compile_policy_text(GetParam().policy);
  ASSERT_FALSE(compiled.ok()) << GetParam().policy;
  EXPECT_NE(compiled.error.find(GetParam().message), std::string::npos)
      << "error: " << compiled.error << "\nexpected to contain: " << GetParam().message;
}

INSTANTIATE_TEST_SUITE_P(Policy, ParseErrorTable, ::testing::ValuesIn(kRows));

TEST(ParseErrors, ValidPoliciesCompile) {
  for (const char* policy : {
           "{}",
           "allow: {}",
           "deny: {}",
           "[{deny: {}}]",
           "allow: {and: [], or: [], not: []}",
           "allow: {or: [accept: ~]}",
           "allow: {or: [time_of_day: {timezone: UTC, after: '3 PM', before: '15:04:05.5'}]}",
           "allow: {or: [device: {}]}",
       }) {
    auto compiled = compile_policy_text(policy);
    EXPECT_TRUE(compiled.ok()) << policy << ": " << compiled.error;
  }
}

}  // namespace
}  // namespace portcullis::policy
