// claim/<path>: the union of the session's and the user's claims, with nested paths.

#include <array>

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

const nlohmann::json* object_or_null(const nlohmann::json* value) {
  return value != nullptr && value->is_object() ? value : nullptr;
}

const nlohmann::json* find_key(const nlohmann::json* object, std::string_view key) {
  if (object == nullptr) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

// The member `key` of the union object `current`.
UnionValue child(const UnionValue& current, std::string_view key) {
  const nlohmann::json* p = find_key(current.primary, key);
  const nlohmann::json* s = find_key(current.secondary, key);
  if (p != nullptr && s != nullptr && p->is_object() && s->is_object()) return {p, s};
  if (p != nullptr) return {p, nullptr};
  return {s, nullptr};
}

class Claim final : public Criterion {
 public:
  Claim(std::string path, StringListMatcher matcher)
      : path_(std::move(path)), matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    bool body = matcher_.matches(ListValues{{}, lookup_claim(input, path_)});
    return session_result(body, input, Reason::kClaimOk, Reason::kClaimUnauthorized);
  }
  bool principal_only() const override { return true; }

 private:
  std::string path_;
  StringListMatcher matcher_;
};

}  // namespace

UnionValue lookup_claim(const EvalInput& input, std::string_view path) {
  if (!input.session.present) return {};
  const nlohmann::json* user = object_or_null(input.user.claims);
  const nlohmann::json* session = object_or_null(input.session.claims);
  UnionValue top = user != nullptr ? UnionValue{user, session} : UnionValue{session, nullptr};
  if (top.primary == nullptr) return {};

  if (UnionValue literal = child(top, path); literal.primary != nullptr) return literal;

  // Nested lookup: '.' and '/' both separate segments; only 2 to 5 segments are looked up.
  std::array<std::string_view, 5> segments;
  std::size_t count = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '.' || path[i] == '/') {
      if (count == segments.size()) return {};
      segments[count++] = path.substr(start, i - start);
      start = i + 1;
    }
  }
  if (count < 2) return {};
  UnionValue current = top;
  for (std::size_t i = 0; i + 1 < count; ++i) {
    current = child(current, segments[i]);
    // A missing or non-object step leaves nothing to look into (Rego's default is []).
    if (current.primary == nullptr || !current.primary->is_object()) return {};
  }
  return child(current, segments[count - 1]);
}

CriterionPtr make_claim(const CriterionSpec& spec) {
  if (spec.sub_path.empty()) {
    throw PolicyError("criterion \"claim\" needs a claim name, as in claim/groups");
  }
  return std::make_unique<Claim>(std::string(spec.sub_path),
                                 StringListMatcher::parse(spec.data, false));
}

}  // namespace portcullis::policy
