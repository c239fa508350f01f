#include "crypto/signed_url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <map>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws.h"

namespace portcullis::crypto {
namespace {

constexpr std::string_view kIssued = "pomerium_issued";
constexpr std::string_view kExpiry = "pomerium_expiry";
constexpr std::string_view kSignature = "pomerium_signature";

// Go's url.Values: keys in bytewise order (std::string compares as unsigned char), each with its
// values in the order they appeared.
using QueryValues = std::map<std::string, std::vector<std::string>, std::less<>>;

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Go's url.QueryEscape.
void append_query_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const unsigned char c : s) {
    if (is_unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape: '+' is a space, '%' must start two hex digits.
std::optional<std::string> query_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Go's url.ParseQuery. A pair Go would refuse (a ';' or a bad escape) is left out, as Go leaves
// it out; `clean` reports whether that happened, for callers that must be strict.
QueryValues parse_query(std::string_view query, bool& clean) {
  QueryValues values;
  clean = true;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      clean = false;
      continue;
    }
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = query_unescape(pair.substr(0, eq));
    auto value = query_unescape(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key || !value) {
      clean = false;
      continue;
    }
    values[std::move(*key)].push_back(std::move(*value));
  }
  return values;
}

// Go's url.Values.Encode.
std::string encode_query(const QueryValues& values) {
  std::string out;
  for (const auto& [key, list] : values) {
    for (const auto& value : list) {
      if (!out.empty()) out += '&';
      append_query_escaped(out, key);
      out += '=';
      append_query_escaped(out, value);
    }
  }
  return out;
}

std::optional<boost::urls::url> parse_absolute(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::nullopt;
  boost::urls::url url(*parsed);
  // Go lower-cases the scheme when it parses, so its String() does too.
  std::string scheme(url.scheme());
  for (auto& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  url.set_scheme(scheme);
  return url;
}

// The raw MAC; pomerium_signature carries it as padded base64url.
std::string url_mac(std::string_view key, std::string_view url, std::string_view issued,
                    std::string_view expiry) {
  std::string input(url);
  input += issued;
  input += ' ';
  input += expiry;
  return hmac_sha512_256(key, input);
}

// A NumericDate parameter: exactly one value, all decimal digits.
std::optional<std::int64_t> single_number(const QueryValues& values, std::string_view name) {
  const auto it = values.find(name);
  if (it == values.end() || it->second.size() != 1) return std::nullopt;
  const std::string& text = it->second.front();
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || text[0] == '-') {
    return std::nullopt;
  }
  return n;
}

}  // namespace

std::optional<std::string> sign_url(std::string_view url_text, std::string_view key,
                                    std::chrono::system_clock::time_point now) {
  auto url = parse_absolute(url_text);
  if (!url) return std::nullopt;
  bool clean = true;
  QueryValues values = parse_query(url->has_query() ? url->encoded_query() : "", clean);
  const std::string issued = std::to_string(unix_seconds(now));
  const std::string expiry = std::to_string(unix_seconds(now + kSignedUrlLifetime));
  values.erase(std::string(kSignature));
  values[std::string(kIssued)] = {issued};
  values[std::string(kExpiry)] = {expiry};
  url->set_encoded_query(encode_query(values));
  values[std::string(kSignature)] = {
      base64_encode(url_mac(key, url->buffer(), issued, expiry), Base64::kUrl)};
  url->set_encoded_query(encode_query(values));
  return std::string(url->buffer());
}

SignedUrlStatus verify_signed_url(std::string_view url_text, std::string_view key,
                                  std::chrono::system_clock::time_point now) {
  auto url = parse_absolute(url_text);
  if (!url) return SignedUrlStatus::kMalformed;
  bool clean = true;
  QueryValues values = parse_query(url->has_query() ? url->encoded_query() : "", clean);
  if (!clean) return SignedUrlStatus::kMalformed;
  const auto signature = values.find(kSignature);
  if (signature == values.end()) return SignedUrlStatus::kMissingSignature;
  if (signature->second.size() != 1) return SignedUrlStatus::kBadSignature;
  const auto mac = base64_decode(signature->second.front(), Base64::kUrl);
  if (!mac) return SignedUrlStatus::kBadSignature;
  values.erase(signature);

  const auto issued = single_number(values, kIssued);
  const auto expiry = single_number(values, kExpiry);
  if (!issued || !expiry) return SignedUrlStatus::kMalformed;

  url->set_encoded_query(encode_query(values));
  // The numbers as written, not re-printed: the MAC covers the exact text.
  const std::string expected = url_mac(key, url->buffer(), values.find(kIssued)->second.front(),
                                       values.find(kExpiry)->second.front());
  if (!constant_time_equal(expected, *mac)) {
    return SignedUrlStatus::kBadSignature;
  }

  const std::int64_t now_s = unix_seconds(now);
  const std::int64_t leeway = kSignedUrlLeeway.count();
  if (now_s - leeway > *expiry) return SignedUrlStatus::kExpired;
  if (now_s + leeway < *issued) return SignedUrlStatus::kIssuedInFuture;
  return SignedUrlStatus::kValid;
}

std::string_view to_string(SignedUrlStatus status) {
  switch (status) {
    case SignedUrlStatus::kValid:
      return "valid";
    case SignedUrlStatus::kMalformed:
      return "malformed signed URL";
    case SignedUrlStatus::kMissingSignature:
      return "URL is not signed";
    case SignedUrlStatus::kBadSignature:
      return "URL signature is invalid";
    case SignedUrlStatus::kExpired:
      return "signed URL has expired";
    case SignedUrlStatus::kIssuedInFuture:
      return "signed URL was issued in the future";
  }
  return "unknown";
}

std::optional<std::string> sign_in_url(std::string_view authenticate_url,
                                       std::string_view redirect_uri, std::string_view key,
                                       std::chrono::system_clock::time_point now,
                                       const SignInUrlOptions& options) {
  auto parsed = boost::urls::parse_absolute_uri(authenticate_url);
  if (!parsed || !parsed->has_authority() || parsed->host().empty()) return std::nullopt;
  boost::urls::url url(*parsed);
  url.set_encoded_path("/.pomerium/sign_in");
  url.remove_query();
  url.remove_fragment();
  auto params = url.params();
  params.append({"pomerium_redirect_uri", redirect_uri});
  if (!options.idp_id.empty()) params.append({"pomerium_idp_id", options.idp_id});
  if (!options.callback_uri.empty()) {
    params.append({"pomerium_callback_uri", options.callback_uri});
  }
  if (options.programmatic) params.append({"pomerium_programmatic", "true"});
  return sign_url(url.buffer(), key, now);
}

}  // namespace portcullis::crypto
