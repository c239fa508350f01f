#include "databroker/filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>

#include "databroker/record_fields.h"

namespace portcullis::databroker {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

Status invalid(std::string message) {
  return Status::error(Code::kInvalidArgument, "invalid filter: " + std::move(message));
}

bool is_indexable(const ::databroker::Options& options, const std::string& field) {
  return std::find(options.indexable_fields().begin(), options.indexable_fields().end(), field) !=
         options.indexable_fields().end();
}

Result<std::string> scalar_value(const std::string& key, const Value& value) {
  switch (value.kind_case()) {
    case Value::kStringValue:
      return value.string_value();
    case Value::kNumberValue:
      return format_number(value.number_value());
    case Value::kBoolValue:
      return std::string(value.bool_value() ? "true" : "false");
    default:
      return invalid("\"" + key + "\" needs a string, number or bool");
  }
}

Result<FilterExpression> parse_struct(const Struct& filter, const ::databroker::Options& options);

// {"field": scalar} or {"field": {"$eq": scalar}}.
Result<FilterExpression> parse_comparison(const std::string& key, const Value& value,
                                          const ::databroker::Options& options) {
  if (key != kFilterIdField && key != kFilterIndexField && !is_indexable(options, key)) {
    return invalid("\"" + key + "\" is not an indexable field of the type");
  }
  const Value* operand = &value;
  if (value.kind_case() == Value::kStructValue) {
    const auto& fields = value.struct_value().fields();
    if (fields.size() != 1) return invalid("\"" + key + "\" needs exactly one operator");
    const auto& [op, op_value] = *fields.begin();
    if (op != "$eq") {
      if (!op.empty() && op[0] == '$') return invalid("unknown operator \"" + op + "\"");
      return invalid("nested field paths (\"" + key + "." + op + "\") are not supported");
    }
    operand = &op_value;
  }
  auto text = scalar_value(key, *operand);
  if (!text.ok()) return text.status();
  FilterExpression expression;
  expression.kind = FilterExpression::Kind::kEquals;
  expression.field = key;
  expression.value = std::move(text.value());
  return expression;
}

Result<FilterExpression> parse_list(const std::string& key, const Value& value,
                                    FilterExpression::Kind kind,
                                    const ::databroker::Options& options) {
  if (value.kind_case() != Value::kListValue) return invalid("\"" + key + "\" needs a list");
  FilterExpression expression;
  expression.kind = kind;
  for (const Value& element : value.list_value().values()) {
    if (element.kind_case() != Value::kStructValue) {
      return invalid("\"" + key + "\" needs a list of objects");
    }
    auto child = parse_struct(element.struct_value(), options);
    if (!child.ok()) return child.status();
    expression.children.push_back(std::move(child.value()));
  }
  return expression;
}

Result<FilterExpression> parse_entry(const std::string& key, const Value& value,
                                     const ::databroker::Options& options) {
  if (key == "$and") return parse_list(key, value, FilterExpression::Kind::kAnd, options);
  if (key == "$or") return parse_list(key, value, FilterExpression::Kind::kOr, options);
  if (key == "$not") {
    if (value.kind_case() != Value::kStructValue) return invalid("\"$not\" needs an object");
    auto child = parse_struct(value.struct_value(), options);
    if (!child.ok()) return child.status();
    FilterExpression expression;
    expression.kind = FilterExpression::Kind::kNot;
    expression.children.push_back(std::move(child.value()));
    return expression;
  }
  if (key.empty()) return invalid("empty field name");
  if (key[0] == '$' && key != kFilterIndexField) return invalid("unknown operator \"" + key + "\"");
  return parse_comparison(key, value, options);
}

Result<FilterExpression> parse_struct(const Struct& filter, const ::databroker::Options& options) {
  // Map order is unspecified; sorted keys make the tree (and any SQL made from it) deterministic.
  std::vector<const std::string*> keys;
  for (const auto& entry : filter.fields()) keys.push_back(&entry.first);
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
  FilterExpression conjunction;
  for (const std::string* key : keys) {
    auto child = parse_entry(*key, filter.fields().at(*key), options);
    if (!child.ok()) return child.status();
    conjunction.children.push_back(std::move(child.value()));
  }
  if (conjunction.children.size() == 1) return std::move(conjunction.children.front());
  return conjunction;
}

// Evaluates against one record, unpacking its data at most once.
class Evaluator {
 public:
  Evaluator(const ::databroker::Record& record, const ::databroker::Options& options)
      : record_(record), options_(options) {}

  Result<bool> evaluate(const FilterExpression& expression) {
    switch (expression.kind) {
      case FilterExpression::Kind::kAnd:
        for (const auto& child : expression.children) {
          auto r = evaluate(child);
          if (!r.ok() || !r.value()) return r;
        }
        return true;
      case FilterExpression::Kind::kOr:
        for (const auto& child : expression.children) {
          auto r = evaluate(child);
          if (!r.ok() || r.value()) return r;
        }
        return false;
      case FilterExpression::Kind::kNot: {
        auto r = evaluate(expression.children.front());
        if (!r.ok()) return r;
        return !r.value();
      }
      case FilterExpression::Kind::kEquals:
        return compare(expression);
    }
    return false;
  }

 private:
  Result<bool> compare(const FilterExpression& expression) {
    if (expression.field == kFilterIdField) return record_.id() == expression.value;
    if (expression.field != kFilterIndexField) return field_equals(expression.field, expression);
    for (const std::string& field : options_.indexable_fields()) {
      auto r = field_equals(field, expression);
      if (!r.ok() || r.value()) return r;
    }
    return false;
  }

  Result<bool> field_equals(const std::string& field, const FilterExpression& expression) {
    auto data = load();
    if (!data.ok()) return data.status();
    if (data.value() == nullptr) return false;
    for (const std::string& value : field_values(*data.value(), field)) {
      if (value == expression.value) return true;
      if (expression.field == kFilterIndexField && cidr_contains(value, expression.value)) {
        return true;
      }
    }
    return false;
  }

  // The unpacked data; nullptr for a record without data.
  Result<const google::protobuf::Message*> load() {
    if (!record_.has_data()) return static_cast<const google::protobuf::Message*>(nullptr);
    if (data_ == nullptr) {
      auto unpacked = unpack_data(record_.data());
      if (!unpacked.ok()) return unpacked.status();
      data_ = std::move(unpacked.value());
    }
    return static_cast<const google::protobuf::Message*>(data_.get());
  }

  const ::databroker::Record& record_;
  const ::databroker::Options& options_;
  std::unique_ptr<google::protobuf::Message> data_;
};

}  // namespace

Result<FilterExpression> parse_filter(const Struct& filter, const ::databroker::Options& options) {
  return parse_struct(filter, options);
}

bool filter_reads_data(const FilterExpression& expression, const ::databroker::Options& options) {
  if (expression.kind == FilterExpression::Kind::kEquals) {
    if (expression.field == kFilterIdField) return false;
    if (expression.field == kFilterIndexField) return options.indexable_fields_size() > 0;
    return true;
  }
  return std::any_of(
      expression.children.begin(), expression.children.end(),
      [&](const FilterExpression& child) { return filter_reads_data(child, options); });
}

std::optional<std::vector<std::string>> filter_id_candidates(const FilterExpression& expression,
                                                             const ::databroker::Options& options) {
  using Ids = std::vector<std::string>;
  switch (expression.kind) {
    case FilterExpression::Kind::kEquals:
      if (expression.field == kFilterIdField) return Ids{expression.value};
      if (expression.field == kFilterIndexField && options.indexable_fields_size() == 0) {
        return Ids{};
      }
      return std::nullopt;
    case FilterExpression::Kind::kOr: {
      Ids ids;
      for (const auto& child : expression.children) {
        auto bound = filter_id_candidates(child, options);
        if (!bound) return std::nullopt;
        ids.insert(ids.end(), bound->begin(), bound->end());
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      return ids;
    }
    case FilterExpression::Kind::kAnd:
      for (const auto& child : expression.children) {
        auto bound = filter_id_candidates(child, options);
        if (bound) return bound;
      }
      return std::nullopt;
    case FilterExpression::Kind::kNot:
      return std::nullopt;
  }
  return std::nullopt;
}

Result<bool> evaluate_filter(const FilterExpression& expression, const ::databroker::Record& record,
                             const ::databroker::Options& options) {
  return Evaluator(record, options).evaluate(expression);
}

bool cidr_contains(const std::string& cidr, const std::string& value) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos || slash + 1 >= cidr.size()) return false;
  std::string network = cidr.substr(0, slash);
  char* end = nullptr;
  long prefix = std::strtol(cidr.c_str() + slash + 1, &end, 10);
  if (*end != '\0' || prefix < 0) return false;
  std::array<unsigned char, 16> net{};
  std::array<unsigned char, 16> address{};
  int family = network.find(':') == std::string::npos ? AF_INET : AF_INET6;
  size_t length = family == AF_INET ? 4 : 16;
  if (prefix > static_cast<long>(length * 8)) return false;
  if (inet_pton(family, network.c_str(), net.data()) != 1) return false;
  if (inet_pton(family, value.c_str(), address.data()) != 1) return false;
  size_t bits = static_cast<size_t>(prefix);
  for (size_t i = 0; i < length && bits > 0; ++i) {
    unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((net[i] & mask) != (address[i] & mask)) return false;
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

}  // namespace portcullis::databroker
