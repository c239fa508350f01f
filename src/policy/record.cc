// record: a condition on external data (the documented Enterprise record matcher). The record of
// `type` is found through the request's foreign key: the user id by default, or the email or
// client IP (`foreign_key`), as the record id or, with `index`, as the value of an indexed field.

#include <arpa/inet.h>

#include <array>
#include <optional>
#include <vector>

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

enum class ForeignKey { kUserId, kEmail, kIp };
enum class Compare { kLess, kLessEqual, kEqual, kGreater, kGreaterEqual };

class Record final : public Criterion {
 public:
  std::string type;
  std::string field;  // "" with `exists` alone
  std::string index;  // "" looks the record up by id
  ForeignKey key = ForeignKey::kUserId;
  std::optional<bool> exists;
  std::optional<StringMatcher> string_ops;    // is, not, contains, ... (string fields)
  std::optional<StringListMatcher> list_ops;  // has, exclude, and `is` on list fields
  std::vector<std::pair<Compare, double>> comparisons;

  CriterionResult evaluate(const EvalInput& input) const override {
    bool body = check(input);
    if (key == ForeignKey::kIp)
      return plain_result(body, Reason::kRecordOk, Reason::kRecordUnauthorized);
    return session_result(body, input, Reason::kRecordOk, Reason::kRecordUnauthorized);
  }

 private:
  bool check(const EvalInput& input) const {
    std::array<char, INET6_ADDRSTRLEN> buffer{};
    std::string_view id;
    switch (key) {
      case ForeignKey::kUserId:
        if (input.session.present) id = input.session.user_id;
        break;
      case ForeignKey::kEmail:
        id = signed_in_email(input);
        break;
      case ForeignKey::kIp:
        if (input.request.ip) {
          const auto& ip = *input.request.ip;
          if (inet_ntop(ip.v4 ? AF_INET : AF_INET6, ip.bytes.data(), buffer.data(),
                        buffer.size()) != nullptr) {
            id = buffer.data();
          }
        }
        break;
    }
    const nlohmann::json* record = nullptr;
    if (!id.empty() && input.records != nullptr) {
      record = index.empty() ? input.records->find(type, id)
                             : input.records->find_by_field(type, index, id);
    }
    const nlohmann::json* value = record != nullptr && !field.empty() ? lookup(*record) : nullptr;
    if (exists && *exists != (record != nullptr && (field.empty() || value != nullptr))) {
      return false;
    }
    if (field.empty()) return true;
    if (value == nullptr) return false;  // no record or no field: nothing to compare
    if (string_ops &&
        !(value->is_string() && string_ops->matches(value->get_ref<const std::string&>()))) {
      return false;
    }
    if (list_ops && !list_ops->matches(ListValues{{}, UnionValue{value, nullptr}})) return false;
    for (const auto& [op, number] : comparisons) {
      if (!value->is_number()) return false;
      double v = value->get<double>();
      bool ok = op == Compare::kLess        ? v < number
                : op == Compare::kLessEqual ? v <= number
                : op == Compare::kEqual     ? v == number
                : op == Compare::kGreater   ? v > number
                                            : v >= number;
      if (!ok) return false;
    }
    return true;
  }

  // The field by its literal name, else as a '.'-separated path into nested objects.
  const nlohmann::json* lookup(const nlohmann::json& data) const {
    if (!data.is_object()) return nullptr;
    if (auto it = data.find(field); it != data.end()) return &*it;
    const nlohmann::json* current = &data;
    std::string_view rest = field;
    while (current != nullptr && current->is_object()) {
      auto dot = rest.find('.');
      auto it = current->find(rest.substr(0, dot));
      if (it == current->end()) return nullptr;
      if (dot == std::string_view::npos) return &*it;
      current = &*it;
      rest.remove_prefix(dot + 1);
    }
    return nullptr;
  }
};

std::string record_string(const std::string& key, const nlohmann::json& value) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
    throw PolicyError("record: " + key + " must be a non-empty string, got " + json_text(value));
  }
  return value.get<std::string>();
}

}  // namespace

CriterionPtr make_record(const CriterionSpec& spec) {
  if (!spec.data.is_object()) {
    throw PolicyError("record: expected an object with type and an operator, got " +
                      json_type_name(spec.data));
  }
  auto c = std::make_unique<Record>();
  nlohmann::json string_ops = nlohmann::json::object();
  nlohmann::json list_ops = nlohmann::json::object();
  for (const auto& [key, value] : spec.data.items()) {
    if (key == "type") {
      c->type = record_string(key, value);
    } else if (key == "field") {
      c->field = record_string(key, value);
    } else if (key == "index") {
      c->index = record_string(key, value);
    } else if (key == "foreign_key") {
      std::string k = record_string(key, value);
      if (k == "user_id") {
        c->key = ForeignKey::kUserId;
      } else if (k == "email") {
        c->key = ForeignKey::kEmail;
      } else if (k == "ip") {
        c->key = ForeignKey::kIp;
      } else {
        throw PolicyError("record: foreign_key must be user_id, email or ip, got " +
                          json_text(value));
      }
    } else if (key == "exists") {
      if (!value.is_boolean()) {
        throw PolicyError("record: exists must be a boolean, got " + json_type_name(value));
      }
      c->exists = value.get<bool>();
    } else if (key == "<" || key == "<=" || key == "=" || key == ">" || key == ">=") {
      if (!value.is_number()) {
        throw PolicyError("record: \"" + key + "\" expects a number, got " + json_type_name(value));
      }
      Compare op = key == "<"    ? Compare::kLess
                   : key == "<=" ? Compare::kLessEqual
                   : key == "="  ? Compare::kEqual
                   : key == ">"  ? Compare::kGreater
                                 : Compare::kGreaterEqual;
      c->comparisons.emplace_back(op, value.get<double>());
    } else if (key == "has" || key == "exclude") {
      list_ops[key] = value;
    } else if (key == "is" || key == "not" || key == "contains" || key == "starts_with" ||
               key == "ends_with" || key == "in" || key == "not_in") {
      string_ops[key] = value;
    } else {
      throw PolicyError("record: unknown operator \"" + key + "\"");
    }
  }
  if (c->type.empty()) throw PolicyError("record: type is required");
  bool has_ops = !string_ops.empty() || !list_ops.empty() || !c->comparisons.empty();
  if (c->field.empty() && has_ops) throw PolicyError("record: field is required with an operator");
  if (!c->field.empty() && !has_ops && !c->exists) {
    throw PolicyError("record: field \"" + c->field + "\" needs an operator");
  }
  if (c->field.empty() && !c->exists)
    throw PolicyError("record: needs field with an operator, or exists");
  if (!string_ops.empty()) c->string_ops = StringMatcher::parse(string_ops);
  if (!list_ops.empty()) c->list_ops = StringListMatcher::parse(list_ops, false);
  return c;
}

}  // namespace portcullis::policy
