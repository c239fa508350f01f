#pragma once
// A PPL policy compiled once per configuration snapshot and evaluated per request.
//
// Grammar (pkg/policy/parser): a policy is one rule or a list of rules; a rule maps `allow`
// and/or `deny` to an object of blocks `and`, `or`, `not` (none true), `nor` (not all true), each
// a list of single-key criterion objects. All blocks of all rules with the same action are OR-ed.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "policy/criterion.h"
#include "policy/decision.h"
#include "policy/input.h"

namespace portcullis::policy {

enum class BlockOperator { kAnd, kOr, kNot, kNor };

class CompiledPolicy {
 public:
  struct Block {
    BlockOperator op;
    std::uint32_t first;  // index into criteria_
    std::uint32_t count;
  };

  CompiledPolicy(std::vector<CriterionPtr> criteria, std::vector<Block> allow,
                 std::vector<Block> deny);

  // Never allocates; safe to call from many threads at once.
  Decision evaluate(const EvalInput& input) const;

  std::size_t criteria_count() const { return criteria_.size(); }
  // True when every criterion is Criterion::principal_only: the decision is then the same for
  // every request of one principal, and a caller may keep it as long as it keeps the principal.
  bool principal_only() const { return principal_only_; }

 private:
  Verdict evaluate_action(const std::vector<Block>& blocks, const EvalInput& input) const;
  Verdict evaluate_block(const Block& block, const EvalInput& input) const;

  std::vector<CriterionPtr> criteria_;
  std::vector<Block> allow_;
  std::vector<Block> deny_;
  bool principal_only_ = false;
};

struct CompileResult {
  std::shared_ptr<const CompiledPolicy> policy;  // null on error
  std::string error;  // names the rule, block and criterion: `rule 1 allow.and[2] "email": ...`
  bool ok() const { return policy != nullptr; }
};

// Compiles a PPL document already decoded from JSON or YAML.
CompileResult compile_policy(const nlohmann::json& ppl);

// Decodes YAML or JSON text (YAML scalars typed as the config loader types them) and compiles.
CompileResult compile_policy_text(std::string_view text);

// Decodes YAML or JSON policy text; on error returns false and sets `error`.
bool decode_policy_text(std::string_view text, nlohmann::json& out, std::string& error);

// A route's authorization options, filled by the caller from config::Route.
struct RouteFlags {
  bool allow_public_unauthenticated_access = false;
  bool allow_any_authenticated_user = false;
  bool cors_allow_preflight = false;
  std::vector<std::string> allowed_users;
  std::vector<std::string> allowed_domains;
  std::map<std::string, std::vector<std::string>> allowed_idp_claims;
  // Downstream mTLS with an enforcement other than `policy`: every route denies requests
  // without a valid client certificate.
  bool deny_invalid_client_certificate = false;
};

// The PPL the flags stand for (config/policy_ppl.go: ToPPL), followed by the route's own policy
// rules: one allow rule whose `or` lists accept, cors_preflight, authenticated_user, a domain per
// allowed domain, a claim per allowed claim value and user + email per allowed user. The allow
// rule is left out only when it is empty and the route has a policy; an empty allow rule denies
// everything. Throws PolicyError when `policy` is not a rule or a list of rules.
nlohmann::json route_ppl(const RouteFlags& flags, const nlohmann::json* policy);

// route_ppl() compiled; `policy_json` is the route's `policy` as JSON text, "" when absent.
CompileResult compile_route(const RouteFlags& flags, std::string_view policy_json);

}  // namespace portcullis::policy
