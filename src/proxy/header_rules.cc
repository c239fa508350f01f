#include "proxy/header_rules.h"

#include <boost/beast/core/string.hpp>
#include <vector>

namespace portcullis::proxy {
namespace bhttp = boost::beast::http;
using boost::beast::iequals;

namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Calls f(token) for each comma-separated, trimmed, non-empty token.
template <class F>
void for_each_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto token = trim_ows(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void strip_identity_headers(Fields& fields, std::string_view cookie_name) {
  // Cookie headers: rebuild without the session cookie.
  std::vector<std::string> kept_cookies;
  bool touched = false;
  for (auto it = fields.find(bhttp::field::cookie);
       it != fields.end() && it->name() == bhttp::field::cookie; ++it) {
    std::string_view value = it->value();
    std::string kept;
    while (!value.empty()) {
      auto semi = value.find(';');
      auto pair = trim_ows(value.substr(0, semi));
      auto eq = pair.find('=');
      auto name = trim_ows(pair.substr(0, eq));
      if (!pair.empty()) {
        if (name == cookie_name) {
          touched = true;
        } else {
          if (!kept.empty()) kept.append("; ");
          kept.append(pair);
        }
      }
      if (semi == std::string_view::npos) break;
      value.remove_prefix(semi + 1);
    }
    kept_cookies.push_back(std::move(kept));
  }
  if (touched) {
    fields.erase(bhttp::field::cookie);
    for (auto& cookie : kept_cookies) {
      if (!cookie.empty()) fields.insert(bhttp::field::cookie, cookie);
    }
  }

  for (auto it = fields.begin(); it != fields.end();) {
    std::string_view name = it->name_string();
    bool drop = istarts_with(name, "x-pomerium-");
    if (!drop && it->name() == bhttp::field::authorization) {
      auto value = trim_ows(it->value());
      drop = istarts_with(value, "pomerium ") || istarts_with(value, "bearer pomerium-");
    }
    it = drop ? fields.erase(it) : std::next(it);
  }
}

void strip_hop_by_hop(Fields& fields, bool keep_upgrade) {
  // Headers named by Connection are hop-by-hop too (rare: collected only when present).
  std::vector<std::string> named;
  auto is_hop_by_hop = [keep_upgrade](bhttp::field name) {
    return name == bhttp::field::connection || name == bhttp::field::keep_alive ||
           name == bhttp::field::proxy_connection || name == bhttp::field::te ||
           (!keep_upgrade && name == bhttp::field::upgrade);
  };
  // One pass over the fields instead of a lookup per hop-by-hop name: this runs twice per request.
  for (auto it = fields.begin(); it != fields.end();) {
    if (!is_hop_by_hop(it->name())) {
      ++it;
      continue;
    }
    if (it->name() == bhttp::field::connection) {
      for_each_token(it->value(), [&](std::string_view token) {
        if (iequals(token, "close") || iequals(token, "keep-alive")) return;
        if (keep_upgrade && iequals(token, "upgrade")) return;
        // Never let Connection remove framing or routing headers.
        if (iequals(token, "host") || iequals(token, "transfer-encoding") ||
            iequals(token, "content-length")) {
          return;
        }
        named.emplace_back(token);
      });
    }
    it = fields.erase(it);
  }
  for (const auto& name : named) fields.erase(name);
}

void set_forwarded_headers(Fields& fields, const ForwardedInfo& info) {
  if (info.trusted_hops == 0) {
    fields.set("x-forwarded-for", info.client_ip);
    fields.set("x-forwarded-proto", info.scheme);
    fields.set("x-forwarded-host", info.original_host);
    return;
  }
  std::string xff;
  for (auto [it, end] = fields.equal_range("x-forwarded-for"); it != end; ++it) {
    if (!xff.empty()) xff.append(", ");
    xff.append(trim_ows(it->value()));
  }
  if (!xff.empty()) xff.append(", ");
  xff.append(info.client_ip);
  fields.set("x-forwarded-for", xff);
  if (fields.find("x-forwarded-proto") == fields.end()) {
    fields.set("x-forwarded-proto", info.scheme);
  }
  if (fields.find("x-forwarded-host") == fields.end()) {
    fields.set("x-forwarded-host", info.original_host);
  }
}

std::string client_address(const Fields& fields, std::string_view peer,
                           std::uint32_t trusted_hops) {
  if (trusted_hops == 0) return std::string(peer);
  std::vector<std::string_view> hops;
  for (auto [it, end] = fields.equal_range("x-forwarded-for"); it != end; ++it) {
    for_each_token(it->value(), [&](std::string_view token) { hops.push_back(token); });
  }
  // The peer is the last trusted hop; each trusted hop appended the address it saw.
  // Fewer entries than trusted hops: the chain cannot be trusted, use the peer (as Envoy).
  if (hops.size() < trusted_hops) return std::string(peer);
  return std::string(hops[hops.size() - trusted_hops]);
}

bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

std::string make_request_id(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  std::string id(36, '-');
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) ++pos;
    std::uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    id[static_cast<std::size_t>(pos++)] = kHex[(word >> shift) & 0xf];
  }
  return id;
}

bool is_websocket_upgrade(const Fields& fields) {
  auto it = fields.find(bhttp::field::upgrade);
  if (it == fields.end()) return false;
  bool websocket = false;
  for_each_token(it->value(), [&](std::string_view token) {
    if (iequals(token, "websocket")) websocket = true;
  });
  return websocket;
}

}  // namespace portcullis::proxy
