#pragma once
// Character classes of HTTP/1 messages (RFC 9110 §5.5, §5.6.2), as lookup tables.

#include <array>
#include <string_view>

namespace portcullis::proxy {

namespace detail {
constexpr std::array<bool, 256> make_token_table() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> make_field_value_table() {
  std::array<bool, 256> table{};
  table['\t'] = true;
  for (int c = 0x20; c <= 0xff; ++c) table[static_cast<std::size_t>(c)] = c != 0x7f;
  return table;
}
}  // namespace detail

// tchar: the characters of a token (a field name, a method, a Connection option).
inline constexpr std::array<bool, 256> kTokenChars = detail::make_token_table();
// What a field value or a reason phrase may hold: HTAB, SP, VCHAR and obs-text.
inline constexpr std::array<bool, 256> kFieldValueChars = detail::make_field_value_table();

inline bool is_token_char(char c) {
  return kTokenChars[static_cast<unsigned char>(c)];
}
inline bool is_field_value_char(char c) {
  return kFieldValueChars[static_cast<unsigned char>(c)];
}

}  // namespace portcullis::proxy
