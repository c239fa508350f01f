#include "policy/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>

namespace portcullis::policy {

namespace {

constexpr std::array<std::pair<std::string_view, BlockOperator>, 4> kOperators = {{
    {"and", BlockOperator::kAnd},
    {"or", BlockOperator::kOr},
    {"not", BlockOperator::kNot},
    {"nor", BlockOperator::kNor},
}};

// Merges results as Pomerium's merge_with_and / merge_with_or do: the combined value, with the
// reasons of the children that agree with it.
struct Merge {
  int true_count = 0;
  int false_count = 0;
  ReasonSet true_reasons;
  ReasonSet false_reasons;
  void add(bool value, ReasonSet reasons) {
    if (value) {
      ++true_count;
      true_reasons.merge(reasons);
    } else {
      ++false_count;
      false_reasons.merge(reasons);
    }
  }
  Verdict all() const {
    return false_count == 0 ? Verdict{true, true_reasons} : Verdict{false, false_reasons};
  }
  Verdict any() const {
    return true_count > 0 ? Verdict{true, true_reasons} : Verdict{false, false_reasons};
  }
};

class Compiler {
 public:
  CompileResult run(const nlohmann::json& ppl) {
    try {
      if (ppl.is_array()) {
        for (std::size_t i = 0; i < ppl.size(); ++i) add_rule(ppl[i], i + 1);
      } else if (ppl.is_object()) {
        add_rule(ppl, 1);
      } else {
        throw PolicyError("a policy must be a rule (an object) or a list of rules, got " +
                          json_type_name(ppl));
      }
    } catch (const PolicyError& e) {
      return {nullptr, e.what()};
    }
    // Rules are sorted by action in Pomerium; blocks keep file order within an action.
    std::vector<CriterionPtr> criteria;
    std::vector<CompiledPolicy::Block> allow, deny;
    for (auto& pending : blocks_) {
      auto first = static_cast<std::uint32_t>(criteria.size());
      for (auto& c : pending.criteria) criteria.push_back(std::move(c));
      CompiledPolicy::Block block{pending.op, first,
                                  static_cast<std::uint32_t>(pending.criteria.size())};
      (pending.deny ? deny : allow).push_back(block);
    }
    return {
        std::make_shared<CompiledPolicy>(std::move(criteria), std::move(allow), std::move(deny)),
        ""};
  }

 private:
  struct PendingBlock {
    bool deny;
    BlockOperator op;
    std::vector<CriterionPtr> criteria;
  };

  void add_rule(const nlohmann::json& rule, std::size_t number) {
    std::string where = "rule " + std::to_string(number);
    if (!rule.is_object()) {
      throw PolicyError(where + ": a rule must be an object with allow and/or deny, got " +
                        json_type_name(rule));
    }
    for (const auto& [action, body] : rule.items()) {
      if (action != "allow" && action != "deny") {
        throw PolicyError(where + ": unsupported action \"" + action +
                          "\" (expected allow or deny)");
      }
      std::string at = where + " " + action;
      if (!body.is_object()) {
        throw PolicyError(at + ": expected an object of and/or/not/nor blocks, got " +
                          json_type_name(body));
      }
      for (const auto& [key, value] : body.items()) {
        if (key == "action") continue;        // accepted and ignored, as Pomerium does
        const std::string& block_name = key;  // clang 14 cannot capture a structured binding
        auto op = std::find_if(kOperators.begin(), kOperators.end(),
                               [&](const auto& entry) { return entry.first == block_name; });
        if (op == kOperators.end()) {
          throw PolicyError(at + ": unsupported block \"" + key +
                            "\", only and, or, not, nor and action are allowed");
        }
        add_block(action == "deny", op->second, value, at + "." + key);
      }
    }
  }

  void add_block(bool deny, BlockOperator op, const nlohmann::json& list, const std::string& at) {
    if (!list.is_array()) {
      throw PolicyError(at + ": expected a list of criteria, got " + json_type_name(list));
    }
    PendingBlock block{deny, op, {}};
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& item = list[i];
      std::string here = at + "[" + std::to_string(i + 1) + "]";
      if (!item.is_object()) {
        throw PolicyError(here + ": a criterion must be an object, got " + json_type_name(item));
      }
      if (item.size() != 1) {
        throw PolicyError(here + ": each criterion may only contain a single key and value (got " +
                          std::to_string(item.size()) + " keys)");
      }
      const std::string& key = item.begin().key();
      std::string_view name = key, sub_path;
      if (auto slash = name.find('/'); slash != std::string_view::npos) {
        sub_path = name.substr(slash + 1);
        name = name.substr(0, slash);
      }
      try {
        block.criteria.push_back(make_criterion({name, sub_path, item.begin().value()}));
      } catch (const PolicyError& e) {
        throw PolicyError(here + " \"" + key + "\": " + e.what());
      }
    }
    // An empty block contributes nothing (Pomerium generates no rule for it).
    if (!block.criteria.empty()) blocks_.push_back(std::move(block));
  }

  std::vector<PendingBlock> blocks_;
};

bool quoted(const YAML::Node& node) {
  return node.Tag() == "!";
}

nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (quoted(node)) return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t integer = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), integer);
  if (ec == std::errc() && end == digits.data() + digits.size()) return integer;
  bool numeric = std::all_of(digits.begin(), digits.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
  });
  if (numeric && digits.find_first_of("0123456789") != std::string_view::npos) {
    double real = 0;
    auto [dend, dec] = std::from_chars(digits.data(), digits.data() + digits.size(), real);
    if (dec == std::errc() && dend == digits.data() + digits.size()) return real;
  }
  return text;
}

nlohmann::json yaml_to_json(const YAML::Node& node, int depth) {
  if (depth > 64) throw PolicyError("the policy is nested too deeply");
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsScalar()) return scalar_to_json(node);
  if (node.IsSequence()) {
    auto array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(yaml_to_json(item, depth + 1));
    return array;
  }
  auto object = nlohmann::json::object();
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) throw PolicyError("map keys must be strings");
    const std::string& key = it->first.Scalar();
    if (object.contains(key)) throw PolicyError("duplicate key \"" + key + "\"");
    object[key] = yaml_to_json(it->second, depth + 1);
  }
  return object;
}

}  // namespace

CompiledPolicy::CompiledPolicy(std::vector<CriterionPtr> criteria, std::vector<Block> allow,
                               std::vector<Block> deny)
    : criteria_(std::move(criteria)), allow_(std::move(allow)), deny_(std::move(deny)) {
  principal_only_ = true;
  for (const auto& criterion : criteria_) {
    principal_only_ = principal_only_ && criterion->principal_only();
  }
}

Verdict CompiledPolicy::evaluate_block(const Block& block, const EvalInput& input) const {
  Merge merge;
  bool negate = block.op == BlockOperator::kNot || block.op == BlockOperator::kNor;
  for (std::uint32_t i = block.first; i < block.first + block.count; ++i) {
    Verdict v = criteria_[i]->evaluate(input);
    merge.add(v.value != negate, v.reasons);  // not / nor invert each child, keeping reasons
  }
  return block.op == BlockOperator::kAnd || block.op == BlockOperator::kNot ? merge.all()
                                                                            : merge.any();
}

Verdict CompiledPolicy::evaluate_action(const std::vector<Block>& blocks,
                                        const EvalInput& input) const {
  if (blocks.empty()) return {};  // default [false, set()]
  Merge merge;
  for (const auto& block : blocks) {
    Verdict v = evaluate_block(block, input);
    merge.add(v.value, v.reasons);
  }
  return merge.any();
}

Decision CompiledPolicy::evaluate(const EvalInput& input) const {
  return {evaluate_action(allow_, input), evaluate_action(deny_, input)};
}

CompileResult compile_policy(const nlohmann::json& ppl) {
  return Compiler().run(ppl);
}

bool decode_policy_text(std::string_view text, nlohmann::json& out, std::string& error) {
  // JSON first when it looks like JSON, YAML otherwise or when that fails (YAML flow style also
  // starts with '{' or '['); a JSON-looking text that is neither reports the JSON error.
  std::string json_error;
  auto start = text.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && (text[start] == '{' || text[start] == '[')) {
    try {
      out = nlohmann::json::parse(text);
      return true;
    } catch (const nlohmann::json::exception& e) {
      json_error = std::string("invalid JSON: ") + e.what();
    }
  }
  try {
    out = yaml_to_json(YAML::Load(std::string(text)), 0);
    return true;
  } catch (const YAML::Exception& e) {
    error = json_error.empty() ? std::string("invalid YAML: ") + e.what() : json_error;
  } catch (const PolicyError& e) {
    error = std::string("invalid YAML: ") + e.what();
  }
  return false;
}

CompileResult compile_policy_text(std::string_view text) {
  nlohmann::json ppl;
  std::string error;
  if (!decode_policy_text(text, ppl, error)) return {nullptr, error};
  return compile_policy(ppl);
}

nlohmann::json route_ppl(const RouteFlags& flags, const nlohmann::json* policy) {
  auto any = nlohmann::json::array();
  if (flags.allow_public_unauthenticated_access) any.push_back({{"accept", true}});
  if (flags.cors_allow_preflight) any.push_back({{"cors_preflight", true}});
  if (flags.allow_any_authenticated_user) any.push_back({{"authenticated_user", true}});
  for (const auto& domain : flags.allowed_domains) {
    any.push_back({{"domain", {{"is", domain}}}});
  }
  for (const auto& [claim, values] : flags.allowed_idp_claims) {
    for (const auto& value : values) any.push_back({{"claim/" + claim, value}});
  }
  for (const auto& user : flags.allowed_users) {
    any.push_back({{"user", {{"is", user}}}});
    any.push_back({{"email", {{"is", user}}}});
  }

  auto rules = nlohmann::json::array();
  bool has_policy = policy != nullptr && !policy->is_null();
  if (!any.empty() || !has_policy) rules.push_back({{"allow", {{"or", any}}}});
  if (has_policy) {
    if (policy->is_array()) {
      for (const auto& rule : *policy) rules.push_back(rule);
    } else if (policy->is_object()) {
      rules.push_back(*policy);
    } else {
      throw PolicyError("a policy must be a rule (an object) or a list of rules, got " +
                        json_type_name(*policy));
    }
  }
  if (flags.deny_invalid_client_certificate) {
    rules.push_back({{"deny", {{"or", {{{"invalid_client_certificate", true}}}}}}});
  }
  return rules;
}

CompileResult compile_route(const RouteFlags& flags, std::string_view policy_json) {
  nlohmann::json policy;
  if (!policy_json.empty()) {
    try {
      policy = nlohmann::json::parse(policy_json);
    } catch (const nlohmann::json::exception& e) {
      return {nullptr, std::string("invalid policy JSON: ") + e.what()};
    }
  }
  if (!policy_json.empty()) {
    // Checked alone first so that errors number the rules as the operator wrote them.
    if (auto own = compile_policy(policy); !own.ok()) return {nullptr, "policy: " + own.error};
  }
  try {
    return compile_policy(route_ppl(flags, policy_json.empty() ? nullptr : &policy));
  } catch (const PolicyError& e) {
    return {nullptr, e.what()};
  }
}

}  // namespace portcullis::policy
