#pragma once
// Internal to the loader: YAML values with their key path, typed readers that report problems
// instead of throwing, and the mapping of a YAML object's keys (known, unknown, duplicate).

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace portcullis::config::detail {

// Collects diagnostics while loading.
class DiagnosticSink {
 public:
  void error(std::string key, int line, std::string message);
  void warning(std::string key, int line, std::string message);
  bool has_errors() const { return errors_ > 0; }
  // Warnings and errors ordered by line (stable); those without a line come last.
  std::vector<Diagnostic> take_sorted();

 private:
  std::vector<Diagnostic> diagnostics_;
  int errors_ = 0;
};

// A YAML node and where it came from: its key path (`routes[2].to`) and whether it was given
// through an environment variable (then it has no line and the path names the variable).
struct Value {
  YAML::Node node;
  std::string path;
  bool from_env = false;

  int line() const;  // 1-based; 0 when unknown or from the environment
  bool is_null() const;
  bool is_scalar() const { return node.IsScalar(); }
  bool is_map() const { return node.IsMap(); }
  bool is_sequence() const { return node.IsSequence(); }
  // True when the value turns something on: not null, not false, not empty.
  bool is_set() const;
  Value at_key(std::string_view key, const YAML::Node& child) const;
  Value at_index(std::size_t index, const YAML::Node& child) const;
  void error(DiagnosticSink& sink, std::string message) const;
  void warning(DiagnosticSink& sink, std::string message) const;
};

int line_of(const YAML::Node& node);
std::string join_path(std::string_view parent, std::string_view key);

// Typed readers. A null value (`key:` without a value) reads as nullopt without a diagnostic;
// a value of the wrong type reports an error starting with "wrong type" and reads as nullopt.
std::optional<std::string> read_string(const Value& value, DiagnosticSink& sink);
std::optional<bool> read_bool(const Value& value, DiagnosticSink& sink);
std::optional<std::int64_t> read_int(const Value& value, DiagnosticSink& sink, std::int64_t min,
                                     std::int64_t max);
std::optional<Duration> read_duration(const Value& value, DiagnosticSink& sink);
// A sequence of scalars, or one scalar holding a comma-separated list (empty items dropped).
std::optional<std::vector<std::string>> read_string_list(const Value& value, DiagnosticSink& sink);
// A mapping of scalar to scalar, in file order.
std::optional<std::vector<std::pair<std::string, std::string>>> read_string_map(
    const Value& value, DiagnosticSink& sink);

// Scalar parsing shared with the environment overlay.
std::optional<bool> parse_bool(std::string_view text);

// A YAML value re-encoded as JSON (plain scalars typed as YAML 1.2 core: null, bool, int, float).
std::string yaml_to_json(const YAML::Node& node);

// How a known key is handled.
enum class KeyUse {
  kParsed,       // read into Options / Route
  kAccepted,     // known and ignored silently (no effect in Portcullis)
  kUnsupported,  // known, not implemented: a warning "X is not supported yet" when set
  kRemoved,      // removed from Pomerium: an error
};

struct KeySpec {
  std::string_view name;
  KeyUse use;
};

// The entries of a YAML mapping, by key. Unknown keys are reported as warnings, duplicate and
// non-scalar keys as errors, when the mapping is built.
class Mapping {
 public:
  struct Entry {
    std::string key;
    Value value;
    KeyUse use = KeyUse::kParsed;
  };

  // `value` must be a map (otherwise an error is reported and the mapping is empty). Keys that
  // start with one of `accepted_prefixes` are kAccepted.
  Mapping(const Value& value, std::span<const KeySpec> known, DiagnosticSink& sink,
          std::span<const std::string_view> accepted_prefixes = {});

  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Sets or replaces an entry (environment overrides).
  void set(std::string key, Value value);
  const std::vector<Entry>& entries() const { return entries_; }
  bool valid() const { return valid_; }
  // Warns about set kUnsupported keys and reports kRemoved keys as errors.
  void report_key_uses(DiagnosticSink& sink) const;

 private:
  std::span<const KeySpec> known_;
  std::vector<Entry> entries_;
  bool valid_ = false;
};

std::optional<KeyUse> find_key_use(std::span<const KeySpec> known, std::string_view key);

}  // namespace portcullis::config::detail
