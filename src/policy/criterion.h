#pragma once
// A compiled criterion: one `{name/sub_path: data}` entry of a PPL block, checked when the policy
// is compiled and evaluated per request without allocating.

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "policy/decision.h"
#include "policy/input.h"

namespace portcullis::policy {

// A criterion's own result; Pomerium's [bool, set(reasons)].
using CriterionResult = Verdict;

class Criterion {
 public:
  virtual ~Criterion() = default;
  virtual CriterionResult evaluate(const EvalInput& input) const = 0;
  // True when evaluate() reads nothing of `input` but the session, user and directory user views
  // (so every request of one principal gets the same result); false, the default, when it may
  // read the request or the time.
  virtual bool principal_only() const { return false; }
};

using CriterionPtr = std::unique_ptr<const Criterion>;

// Thrown while compiling; the compiler adds where (rule, block, criterion) and returns it as a
// value. Never thrown during evaluation.
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CriterionSpec {
  std::string_view name;      // before the first '/'
  std::string_view sub_path;  // after it ("" when none)
  const nlohmann::json& data;
};

// Builds the criterion named by spec.name; throws PolicyError for an unknown criterion, a sub-path
// on a criterion that takes none, or data it cannot use.
CriterionPtr make_criterion(const CriterionSpec& spec);

// The session rule shape (criteria.go: NewCriterionSessionRule): the body's verdict when it
// passes, else `fail` when signed in, else user-unauthenticated (which asks for a sign-in).
inline CriterionResult session_result(bool body, const EvalInput& input, Reason ok, Reason fail) {
  if (body) return {true, {ok}};
  if (input.session.present) return {false, {fail}};
  return {false, {Reason::kUserUnauthenticated}};
}

inline CriterionResult plain_result(bool body, Reason ok, Reason fail) {
  return body ? CriterionResult{true, {ok}} : CriterionResult{false, {fail}};
}

// The JSON type name used in error messages ("string", "object", ...).
std::string json_type_name(const nlohmann::json& value);

// A value as JSON text for error messages; invalid UTF-8 (possible from YAML) is replaced.
std::string json_text(const nlohmann::json& value);

}  // namespace portcullis::policy
