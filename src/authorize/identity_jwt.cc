#include "authorize/identity_jwt.h"

#include <cstdio>
#include <stdexcept>

#include "crypto/jws.h"
#include "crypto/random.h"

namespace portcullis::authorize {
namespace {

// FNV-1 (not 1a), 64 bits: the ETag Pomerium gives its JWKS.
std::uint64_t fnv1_64(std::string_view data) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : data) {
    hash *= 1099511628211ull;
    hash ^= c;
  }
  return hash;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_float()) {
    std::vector<std::string> out;
    claim_strings(nlohmann::json{{"v", value}}, "v", out);
    return out.empty() ? std::string() : out.front();
  }
  if (value.is_null()) return {};
  return value.dump();
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out.push_back(',');
    out.append(v);
  }
  return out;
}

}  // namespace

std::string claim_header_value(const nlohmann::json& claims, std::string_view claim) {
  auto it = claims.find(claim);
  if (it == claims.end()) return {};
  if (!it->is_array()) return scalar_text(*it);
  std::string out;
  bool first = true;
  for (const auto& v : *it) {
    if (!first) out.push_back(',');
    first = false;
    out.append(scalar_text(v));
  }
  return out;
}

IdentitySigner::IdentitySigner(std::vector<crypto::SigningKey> keys,
                               const std::map<std::string, std::string>& claim_headers)
    : keys_(std::move(keys)) {
  if (keys_.empty()) throw std::invalid_argument("IdentitySigner needs a signing key");
  for (const auto& [header, claim] : claim_headers) claim_headers_.push_back({header, claim});
  auto set = nlohmann::json::object();
  set["keys"] = nlohmann::json::array();
  for (const auto& key : keys_) set["keys"].push_back(key.public_jwk());
  jwks_ = set.dump();
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%llx\"", static_cast<unsigned long long>(fnv1_64(jwks_)));
  jwks_etag_ = etag;
}

IdentitySigner IdentitySigner::from_options(
    std::string_view signing_key_pem, std::string_view shared_secret,
    const std::map<std::string, std::string>& claim_headers) {
  if (!signing_key_pem.empty()) {
    std::string error;
    auto keys = crypto::load_signing_keys(signing_key_pem, &error);
    if (!keys) throw std::runtime_error("signing_key: " + error);
    return IdentitySigner(std::move(*keys), claim_headers);
  }
  return IdentitySigner({crypto::derive_signing_key(shared_secret)}, claim_headers);
}

nlohmann::json IdentitySigner::claims(const Principal& principal, std::string_view audience,
                                      std::chrono::system_clock::time_point now) const {
  auto iat = crypto::unix_seconds(now);
  auto claims = nlohmann::json::object();
  claims["iss"] = audience;
  claims["aud"] = audience;
  claims["jti"] = crypto::random_uuid();
  claims["iat"] = iat;
  claims["exp"] = iat + kIdentityTokenLifetime.count();
  claims["sub"] = principal.user_id;
  claims["user"] = principal.user_id;
  claims["email"] = principal.email;
  claims["groups"] = principal.groups;  // always an array, [] when none
  claims["sid"] = principal.session_id;
  claims["name"] = principal.name;
  // Claims named by jwt_claims_headers that are not among the above: session, then user claims.
  std::vector<std::string> values;
  for (const auto& header : claim_headers_) {
    if (claims.contains(header.claim)) continue;
    if (claim_strings(principal.session_claims, header.claim, values) ||
        claim_strings(principal.user_claims, header.claim, values)) {
      claims[header.claim] = join(values);
    }
  }
  return claims;
}

IdentityToken IdentitySigner::sign(const Principal& principal, std::string_view audience,
                                   std::chrono::system_clock::time_point now) const {
  auto payload = claims(principal, audience, now);
  IdentityToken token;
  token.jwt = key().sign(payload);
  token.expires_at = payload["exp"].get<std::int64_t>();
  token.claim_values.reserve(claim_headers_.size());
  for (const auto& header : claim_headers_) {
    token.claim_values.push_back(claim_header_value(payload, header.claim));
  }
  return token;
}

}  // namespace portcullis::authorize
