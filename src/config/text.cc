#include "config/text.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace portcullis::config::detail {
namespace {

constexpr std::string_view kSpaces = " \t\r\n\f\v";

// Value of a base64 digit in either alphabet, or -1.
int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Decodes digits without padding (leftover bits are ignored, as Go does); nullopt when the
// length or a digit is invalid.
std::optional<std::string> decode_digits(std::string_view digits) {
  if (digits.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(digits.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : digits) {
    int value = base64_digit(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(kSpaces);
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(kSpaces);
  return std::string(text.substr(begin, end - begin + 1));
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return to_lower(a) == to_lower(b);
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    items.push_back(trim(text.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return items;
}

std::optional<std::string> decode_base64_strict(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && text.size() > padding && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  std::string_view digits = text.substr(0, text.size() - padding);
  if (digits.find_first_of("-_=") != std::string_view::npos) return std::nullopt;
  return decode_digits(digits);
}

std::optional<std::string> decode_base64_lenient(std::string_view text) {
  std::string digits;
  digits.reserve(text.size());
  for (char c : text) {
    if (kSpaces.find(c) != std::string_view::npos) continue;
    digits.push_back(c);
  }
  while (!digits.empty() && digits.back() == '=') digits.pop_back();
  if (digits.empty()) return std::nullopt;
  return decode_digits(digits);
}

std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view path) {
  std::filesystem::path file(path);
  if (file.is_absolute() || base_dir.empty()) return file;
  return base_dir / file;
}

std::optional<std::string> read_file(const std::filesystem::path& path, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::error_code(errno, std::generic_category()).message();
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    error = "read failed";
    return std::nullopt;
  }
  return contents.str();
}

}  // namespace portcullis::config::detail
