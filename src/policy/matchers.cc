#include "policy/matchers.h"

#include "policy/criterion.h"

namespace portcullis::policy {

namespace {

std::string require_string(const nlohmann::json& value, std::string_view op) {
  if (!value.is_string()) {
    throw PolicyError("string matcher operator \"" + std::string(op) + "\" expects a string, got " +
                      json_type_name(value));
  }
  return value.get<std::string>();
}

bool equal_or_merged_value(const nlohmann::json& obj, const nlohmann::json& v) {
  for (const auto& [key, item] : obj.items()) {
    (void)key;
    if (item == v) return true;
  }
  return false;
}

}  // namespace

StringMatcher StringMatcher::parse(const nlohmann::json& data) {
  StringMatcher m;
  if (!data.is_object()) {
    m.terms_.push_back({Op::kIs, require_string(data, "is"), {}});
    return m;
  }
  if (data.empty()) throw PolicyError("string matcher must have at least one operator");
  for (const auto& [key, value] : data.items()) {
    Term term{Op::kIs, {}, {}};
    if (key == "is") {
      term.op = Op::kIs;
    } else if (key == "not") {
      term.op = Op::kNot;
    } else if (key == "contains") {
      term.op = Op::kContains;
    } else if (key == "starts_with") {
      term.op = Op::kStartsWith;
    } else if (key == "ends_with") {
      term.op = Op::kEndsWith;
    } else if (key == "in" || key == "not_in") {
      term.op = key == "in" ? Op::kIn : Op::kNotIn;
      if (!value.is_array()) {
        throw PolicyError("string matcher operator \"" + key +
                          "\" expects an array of strings, got " + json_type_name(value));
      }
      for (const auto& item : value) term.values.push_back(require_string(item, key));
      m.terms_.push_back(std::move(term));
      continue;
    } else {
      throw PolicyError("unknown string matcher operator \"" + key +
                        "\" (expected is, not, contains, starts_with, ends_with, in or not_in)");
    }
    term.value = require_string(value, key);
    m.terms_.push_back(std::move(term));
  }
  return m;
}

bool StringMatcher::holds(const Term& term, std::string_view value) {
  switch (term.op) {
    case Op::kIs:
      return value == term.value;
    case Op::kNot:
      return value != term.value;
    case Op::kContains:
      return value.find(term.value) != std::string_view::npos;
    case Op::kStartsWith:
      return value.starts_with(term.value);
    case Op::kEndsWith:
      return value.ends_with(term.value);
    case Op::kIn:
    case Op::kNotIn: {
      bool found = false;
      for (const auto& v : term.values) found = found || v == value;
      return term.op == Op::kIn ? found : !found;
    }
  }
  return false;
}

bool StringMatcher::matches(std::string_view value) const {
  for (const auto& term : terms_) {
    if (!holds(term, value)) return false;
  }
  return true;
}

bool StringMatcher::matches_some(std::span<const std::string> values) const {
  for (const auto& term : terms_) {
    bool some = false;
    for (const auto& v : values) some = some || holds(term, v);
    if (!some) return false;
  }
  return true;
}

bool UnionValue::contains(const nlohmann::json& v) const {
  if (primary == nullptr) return false;
  if (primary->is_array()) {
    for (const auto& item : *primary) {
      if (item == v) return true;
    }
    return false;
  }
  if (!primary->is_object()) return false;
  if (equal_or_merged_value(*primary, v)) return true;
  if (secondary == nullptr) return false;
  for (const auto& [key, item] : secondary->items()) {
    if (!primary->contains(key) && item == v) return true;
  }
  return false;
}

std::size_t UnionValue::size() const {
  if (primary == nullptr || !(primary->is_array() || primary->is_object())) return 0;
  std::size_t n = primary->size();
  if (secondary != nullptr) {
    for (const auto& [key, item] : secondary->items()) {
      (void)item;
      if (!primary->contains(key)) ++n;
    }
  }
  return n;
}

bool ListValues::contains(const nlohmann::json& v) const {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    for (const auto& item : strings) {
      if (item == s) return true;
    }
  }
  return claim.contains(v);
}

StringListMatcher StringListMatcher::parse(const nlohmann::json& data, bool strings_only) {
  auto check = [&](const nlohmann::json& value, std::string_view op) {
    bool ok = strings_only ? value.is_string()
                           : (value.is_string() || value.is_number() || value.is_boolean());
    if (!ok) {
      throw PolicyError("string list matcher operator \"" + std::string(op) + "\" expects " +
                        (strings_only ? "a string" : "a string, number or boolean") + ", got " +
                        json_type_name(value));
    }
    return value;
  };
  StringListMatcher m;
  if (!data.is_object()) {
    m.terms_.push_back({Op::kHas, check(data, "has")});
    return m;
  }
  if (data.empty()) throw PolicyError("string list matcher must have at least one operator");
  for (const auto& [key, value] : data.items()) {
    Op op;
    if (key == "has") {
      op = Op::kHas;
    } else if (key == "is") {
      op = Op::kIs;
    } else if (key == "exclude") {
      op = Op::kExclude;
    } else {
      throw PolicyError("unknown string list matcher operator \"" + key +
                        "\" (expected has, is or exclude)");
    }
    m.terms_.push_back({op, check(value, key)});
  }
  return m;
}

bool StringListMatcher::matches(const ListValues& values) const {
  for (const auto& term : terms_) {
    bool ok = false;
    switch (term.op) {
      case Op::kHas:
        ok = values.contains(term.value);
        break;
      case Op::kIs:
        ok = values.size() == 1 && values.contains(term.value);
        break;
      case Op::kExclude:
        ok = !values.contains(term.value);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace portcullis::policy
