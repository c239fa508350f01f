#pragma once
// Internal to the loader: what every part of loading shares (diagnostics, the config file's
// folder) and readers that assign a mapping's entry to a field when it is present and valid.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_value.h"

namespace portcullis::config::detail {

struct LoadContext {
  DiagnosticSink& sink;
  std::filesystem::path base_dir;  // relative *_file paths are resolved against it
};

// Each assigns `out` only when the key is present with a valid value (errors are reported).
void assign(const Mapping& map, std::string_view key, LoadContext& ctx, std::string& out);
void assign(const Mapping& map, std::string_view key, LoadContext& ctx, bool& out);
void assign(const Mapping& map, std::string_view key, LoadContext& ctx, std::optional<bool>& out);
void assign(const Mapping& map, std::string_view key, LoadContext& ctx, Duration& out);
void assign(const Mapping& map, std::string_view key, LoadContext& ctx,
            std::vector<std::string>& out);
void assign(const Mapping& map, std::string_view key, LoadContext& ctx, std::uint32_t& out,
            std::uint32_t min = 0, std::uint32_t max = UINT32_MAX);

// The contents of the file a value names (relative to the config file's folder); a missing or
// unreadable file is an error naming the key and the path.
std::optional<std::string> read_named_file(const Value& path_value, LoadContext& ctx);

// Text given either inline (`key`) or as a file (`file_key`). When both are set, the one given
// through the environment wins; otherwise the file wins with a warning.
struct TextSource {
  std::string text;
  const Value* value = nullptr;  // the entry it came from (for diagnostics)
  bool from_file = false;
};
std::optional<TextSource> read_inline_or_file(const Mapping& map, std::string_view key,
                                              std::string_view file_key, LoadContext& ctx);

// Sets `name` (compared case-insensitively) to `value`, replacing an existing header.
void upsert_header(std::vector<Header>& headers, std::string name, std::string value);

// PEM from a value that is base64-encoded PEM or PEM; an error otherwise.
std::optional<std::string> read_pem(const Value& value, LoadContext& ctx);

}  // namespace portcullis::config::detail
