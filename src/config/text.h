#pragma once
// Internal to the loader: small string, base64 and file helpers.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::config::detail {

std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
// Splits on `separator` and trims every item (empty items are kept).
std::vector<std::string> split(std::string_view text, char separator);

// Go's base64.StdEncoding: standard alphabet, padding required, no whitespace.
std::optional<std::string> decode_base64_strict(std::string_view text);
// Standard or URL alphabet, padding optional, whitespace ignored (for PEM blobs).
std::optional<std::string> decode_base64_lenient(std::string_view text);

// `path` made absolute against `base_dir` when relative.
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view path);
// The whole file, or nullopt with `error` set to the reason.
std::optional<std::string> read_file(const std::filesystem::path& path, std::string& error);

}  // namespace portcullis::config::detail
