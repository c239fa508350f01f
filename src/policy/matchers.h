#pragma once
// PPL's value matchers (pkg/policy/criteria/matchers.go and the PPL documentation).
//
// String matcher: an object whose operators must all hold (is, not, contains, starts_with,
// ends_with, in, not_in); a plain string means `is`.
// String list matcher: has (some element equals), is (exactly one element, equal), exclude (no
// element equals); a plain value means `has`.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::policy {

class StringMatcher {
 public:
  // Throws PolicyError for an unknown operator or a value that is not a string (or, for in and
  // not_in, an array of strings).
  static StringMatcher parse(const nlohmann::json& data);

  bool matches(std::string_view value) const;
  // Every operator holds for some element (each on its own, as Pomerium's `list[_]` terms do).
  bool matches_some(std::span<const std::string> values) const;

 private:
  enum class Op { kIs, kNot, kContains, kStartsWith, kEndsWith, kIn, kNotIn };
  struct Term {
    Op op;
    std::string value;
    std::vector<std::string> values;  // in, not_in
  };
  static bool holds(const Term& term, std::string_view value);
  std::vector<Term> terms_;
};

// A claim's value as the union of the user's and the session's claims (Rego object.union: the
// user's value wins, objects on both sides merge). `primary` is null when the value is missing.
struct UnionValue {
  const nlohmann::json* primary = nullptr;
  const nlohmann::json* secondary = nullptr;  // only when both sides are objects

  // Some element (of an array) or value (of an object) equals `v`; scalars have no elements.
  bool contains(const nlohmann::json& v) const;
  // Element count as Rego's count() on arrays and objects; 0 for anything else.
  std::size_t size() const;
};

// The values a list matcher looks at: some strings (directory group ids) and a claim value.
struct ListValues {
  std::span<const std::string> strings;
  UnionValue claim;

  bool contains(const nlohmann::json& v) const;
  std::size_t size() const { return strings.size() + claim.size(); }
};

class StringListMatcher {
 public:
  // `strings_only`: values must be strings (groups); otherwise any scalar (claims can be numbers
  // or booleans). Throws PolicyError.
  static StringListMatcher parse(const nlohmann::json& data, bool strings_only);

  bool matches(const ListValues& values) const;

 private:
  enum class Op { kHas, kIs, kExclude };
  struct Term {
    Op op;
    nlohmann::json value;
  };
  std::vector<Term> terms_;
};

}  // namespace portcullis::policy
