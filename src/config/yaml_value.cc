#include "config/yaml_value.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "config/text.h"

namespace portcullis::config::detail {
namespace {

const char* kind_name(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a scalar";
  return "nothing";
}

std::string describe(const YAML::Node& node) {
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  return kind_name(node);
}

bool quoted(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

nlohmann::ordered_json scalar_to_json(const YAML::Node& node) {
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

nlohmann::ordered_json to_json(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsScalar()) return scalar_to_json(node);
  if (node.IsSequence()) {
    auto array = nlohmann::ordered_json::array();
    for (const auto& item : node) array.push_back(to_json(item));
    return array;
  }
  auto object = nlohmann::ordered_json::object();
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : to_json(it->first).dump();
    object[key] = to_json(it->second);
  }
  return object;
}

}  // namespace

void DiagnosticSink::error(std::string key, int line, std::string message) {
  diagnostics_.push_back({Diagnostic::Severity::kError, std::move(key), line, std::move(message)});
  ++errors_;
}

void DiagnosticSink::warning(std::string key, int line, std::string message) {
  diagnostics_.push_back(
      {Diagnostic::Severity::kWarning, std::move(key), line, std::move(message)});
}

std::vector<Diagnostic> DiagnosticSink::take_sorted() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if ((a.line == 0) != (b.line == 0)) return b.line == 0;
                     return a.line < b.line;
                   });
  errors_ = 0;
  return std::move(diagnostics_);
}

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  return node.Mark().line + 1;
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path(parent);
  path += '.';
  path += key;
  return path;
}

int Value::line() const {
  return from_env ? 0 : line_of(node);
}

bool Value::is_null() const {
  return !node.IsDefined() || node.IsNull();
}

bool Value::is_set() const {
  if (is_null()) return false;
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (text.empty()) return false;
    auto flag = parse_bool(text);
    return !flag.has_value() || *flag;
  }
  return node.size() > 0;
}

Value Value::at_key(std::string_view key, const YAML::Node& child) const {
  return {child, join_path(path, key), from_env};
}

Value Value::at_index(std::size_t index, const YAML::Node& child) const {
  return {child, path + "[" + std::to_string(index) + "]", from_env};
}

void Value::error(DiagnosticSink& sink, std::string message) const {
  sink.error(path, line(), std::move(message));
}

void Value::warning(DiagnosticSink& sink, std::string message) const {
  sink.warning(path, line(), std::move(message));
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower = to_lower(trim(text));
  if (lower == "true" || lower == "t" || lower == "1" || lower == "yes" || lower == "y" ||
      lower == "on") {
    return true;
  }
  if (lower == "false" || lower == "f" || lower == "0" || lower == "no" || lower == "n" ||
      lower == "off") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::string> read_string(const Value& value, DiagnosticSink& sink) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_scalar()) {
    value.error(sink, std::string("wrong type: expected a string, got ") + kind_name(value.node));
    return std::nullopt;
  }
  return value.node.Scalar();
}

std::optional<bool> read_bool(const Value& value, DiagnosticSink& sink) {
  if (value.is_null()) return std::nullopt;
  if (value.is_scalar()) {
    if (auto flag = parse_bool(value.node.Scalar())) return flag;
  }
  value.error(sink, "wrong type: expected a boolean (true or false), got " + describe(value.node));
  return std::nullopt;
}

std::optional<std::int64_t> read_int(const Value& value, DiagnosticSink& sink, std::int64_t min,
                                     std::int64_t max) {
  if (value.is_null()) return std::nullopt;
  if (value.is_scalar()) {
    std::string text = trim(value.node.Scalar());
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
      if (number < min || number > max) {
        value.error(sink, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                              ", got " + text);
        return std::nullopt;
      }
      return number;
    }
    if (ec == std::errc::result_out_of_range) {
      value.error(sink, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                            ", got " + text);
      return std::nullopt;
    }
  }
  value.error(sink, "wrong type: expected an integer, got " + describe(value.node));
  return std::nullopt;
}

std::optional<Duration> read_duration(const Value& value, DiagnosticSink& sink) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_scalar()) {
    value.error(sink, std::string("wrong type: expected a duration such as \"30s\", got ") +
                          kind_name(value.node));
    return std::nullopt;
  }
  const std::string& text = value.node.Scalar();
  auto duration = parse_duration(trim(text));
  if (!duration) {
    value.error(sink, "invalid duration \"" + text +
                          "\": use a number with a unit (ns, us, ms, s, m, h) such as \"30s\", "
                          "\"1m30s\" or \"150ms\"");
    return std::nullopt;
  }
  if (duration->count() < 0) {
    value.error(sink, "duration must not be negative, got \"" + text + "\"");
    return std::nullopt;
  }
  return duration;
}

std::optional<std::vector<std::string>> read_string_list(const Value& value, DiagnosticSink& sink) {
  if (value.is_null()) return std::nullopt;
  std::vector<std::string> items;
  if (value.is_scalar()) {
    for (auto& item : split(value.node.Scalar(), ',')) {
      if (!item.empty()) items.push_back(std::move(item));
    }
    return items;
  }
  if (!value.is_sequence()) {
    value.error(sink, "wrong type: expected a list of strings, got a map");
    return std::nullopt;
  }
  bool ok = true;
  for (std::size_t i = 0; i < value.node.size(); ++i) {
    Value item = value.at_index(i, value.node[i]);
    if (item.is_null()) continue;
    if (!item.is_scalar()) {
      item.error(sink, std::string("wrong type: expected a string, got ") + kind_name(item.node));
      ok = false;
      continue;
    }
    items.push_back(item.node.Scalar());
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::vector<std::pair<std::string, std::string>>> read_string_map(
    const Value& value, DiagnosticSink& sink) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_map()) {
    value.error(sink, std::string("wrong type: expected a map of names to strings, got ") +
                          kind_name(value.node));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  bool ok = true;
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    if (!it->first.IsScalar()) {
      value.error(sink, "wrong type: map keys must be strings");
      ok = false;
      continue;
    }
    Value item = value.at_key(it->first.Scalar(), it->second);
    if (item.is_null()) {
      pairs.emplace_back(it->first.Scalar(), "");
      continue;
    }
    if (!item.is_scalar()) {
      item.error(sink, std::string("wrong type: expected a string, got ") + kind_name(item.node));
      ok = false;
      continue;
    }
    pairs.emplace_back(it->first.Scalar(), item.node.Scalar());
  }
  if (!ok) return std::nullopt;
  return pairs;
}

std::string yaml_to_json(const YAML::Node& node) {
  return to_json(node).dump();
}

std::optional<KeyUse> find_key_use(std::span<const KeySpec> known, std::string_view key) {
  for (const auto& spec : known) {
    if (spec.name == key) return spec.use;
  }
  return std::nullopt;
}

Mapping::Mapping(const Value& value, std::span<const KeySpec> known, DiagnosticSink& sink,
                 std::span<const std::string_view> accepted_prefixes)
    : known_(known) {
  if (value.is_null()) {
    valid_ = true;
    return;
  }
  if (!value.is_map()) {
    value.error(sink, std::string("wrong type: expected a map, got ") + kind_name(value.node));
    return;
  }
  valid_ = true;
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    int key_line = value.from_env ? 0 : line_of(it->first);
    if (!it->first.IsScalar()) {
      sink.error(value.path, key_line, "wrong type: map keys must be strings");
      continue;
    }
    std::string key = it->first.Scalar();
    std::string path = join_path(value.path, key);
    if (find(key) != nullptr) {
      sink.error(path, key_line, "duplicate key");
      continue;
    }
    auto use = find_key_use(known, key);
    if (!use) {
      for (auto prefix : accepted_prefixes) {
        if (key.starts_with(prefix)) use = KeyUse::kAccepted;
      }
    }
    if (!use) {
      sink.warning(path, key_line, "unknown key, ignored");
      continue;
    }
    entries_.push_back({key, value.at_key(key, it->second), *use});
  }
}

const Value* Mapping::find(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

void Mapping::set(std::string key, Value value) {
  KeyUse use = find_key_use(known_, key).value_or(KeyUse::kAccepted);
  for (auto& entry : entries_) {
    if (entry.key == key) {
      entry.value = std::move(value);
      entry.use = use;
      return;
    }
  }
  entries_.push_back({std::move(key), std::move(value), use});
}

void Mapping::report_key_uses(DiagnosticSink& sink) const {
  for (const auto& entry : entries_) {
    if (entry.use == KeyUse::kUnsupported && entry.value.is_set()) {
      entry.value.warning(sink, entry.key + " is not supported yet");
    } else if (entry.use == KeyUse::kRemoved) {
      entry.value.error(sink, entry.key + " was removed from Pomerium and is not accepted");
    }
  }
}

}  // namespace portcullis::config::detail
