#include "authorize/session_handle.h"

#include <functional>

#include "crypto/jws.h"

namespace portcullis::authorize {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? char(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? char(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of cookie `name` in one Cookie header ("a=1; b=2"), or empty.
std::string_view find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      auto value = trim(pair.substr(eq + 1));
      // RFC 6265 allows the value in double quotes.
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (!value.empty()) return value;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

// The cache slot of a token. Only its last kHashedTail bytes are hashed: a JWS ends in its
// signature, a MAC over everything before it and as evenly spread as any hash of the whole token,
// which is a cookie of some hundred bytes. A hit still compares every byte of the token, so the
// slot chosen never decides whether a token is valid.
std::size_t slot_hash(std::string_view token) {
  constexpr std::size_t kHashedTail = 32;
  auto tail = token.size() > kHashedTail ? token.substr(token.size() - kHashedTail) : token;
  return std::hash<std::string_view>{}(tail) ^ token.size();
}

}  // namespace

HandleToken find_handle_token(std::span<const policy::HeaderView> headers,
                              std::string_view cookie_name) {
  for (const auto& header : headers) {
    if (!iequals(header.name, "cookie")) continue;
    auto value = find_cookie(header.value, cookie_name);
    if (!value.empty()) return {value, HandleSource::kCookie};
  }
  for (const auto& header : headers) {
    if (!iequals(header.name, "x-pomerium-authorization")) continue;
    auto value = trim(header.value);
    if (!value.empty()) return {value, HandleSource::kPomeriumAuthorization};
  }
  for (const auto& header : headers) {
    if (!iequals(header.name, "authorization")) continue;
    auto found = crypto::handle_from_authorization(header.value);
    if (found.token.empty()) continue;
    return {found.token, found.bearer ? HandleSource::kAuthorizationBearer
                                      : HandleSource::kAuthorizationPomerium};
  }
  return {};
}

HandleCache::HandleCache(std::size_t slots) : slots_(std::max<std::size_t>(slots, 1)) {}

const SessionHandle* HandleCache::verify(std::string_view token, std::string_view key) {
  if (token.empty() || token.size() > crypto::kMaxJwsSize) return nullptr;
  Slot& slot = slots_[slot_hash(token) % slots_.size()];
  if (slot.used && slot.token == token) {
    ++hits_;
    return &slot.handle;
  }
  ++misses_;
  auto handle = verify_session_handle(token, key);
  if (!handle) return nullptr;
  slot.token.assign(token);
  slot.handle = std::move(*handle);
  slot.used = true;
  return &slot.handle;
}

}  // namespace portcullis::authorize
