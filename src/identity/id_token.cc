#include "identity/id_token.h"

#include "crypto/jws.h"

namespace portcullis::identity {
namespace {

TimePoint from_seconds(const nlohmann::json& value) {
  return TimePoint(std::chrono::seconds(static_cast<std::int64_t>(value.get<double>())));
}

bool audience_contains(const nlohmann::json& aud, const std::string& client_id, std::size_t& n) {
  if (aud.is_string()) {
    n = 1;
    return aud.get<std::string>() == client_id;
  }
  if (!aud.is_array()) return false;
  n = aud.size();
  bool found = false;
  for (const auto& entry : aud) found = found || (entry.is_string() && entry == client_id);
  return found;
}

}  // namespace

std::string_view to_string(IdTokenError error) {
  switch (error) {
    case IdTokenError::kMalformed:
      return "malformed id token";
    case IdTokenError::kBadAlgorithm:
      return "id token algorithm not allowed";
    case IdTokenError::kUnknownKey:
      return "id token signed by an unknown key";
    case IdTokenError::kBadSignature:
      return "id token signature invalid";
    case IdTokenError::kWrongIssuer:
      return "id token issuer mismatch";
    case IdTokenError::kWrongAudience:
      return "id token audience mismatch";
    case IdTokenError::kWrongAuthorizedParty:
      return "id token authorized party mismatch";
    case IdTokenError::kExpired:
      return "id token expired";
    case IdTokenError::kIssuedInFuture:
      return "id token issued in the future";
    case IdTokenError::kMissingSubject:
      return "id token has no subject";
    case IdTokenError::kWrongNonce:
      return "id token nonce mismatch";
  }
  return "invalid id token";
}

std::variant<IdToken, IdTokenError> verify_id_token(std::string_view token,
                                                    std::span<const crypto::PublicKey> keys,
                                                    const IdTokenExpectations& expected) {
  auto header = crypto::peek_jws_header(token);
  if (!header) return IdTokenError::kMalformed;
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return IdTokenError::kMalformed;
  auto alg_name = alg->get<std::string>();
  if (alg_name != "RS256" && alg_name != "ES256") return IdTokenError::kBadAlgorithm;

  // Is there any candidate key? Distinguishes "refresh the JWKS" from "forged".
  std::string kid;
  if (auto k = header->find("kid"); k != header->end() && k->is_string())
    kid = k->get<std::string>();
  bool candidate = false;
  for (const auto& key : keys) {
    if (crypto::to_string(key.algorithm()) != alg_name) continue;
    if (!kid.empty() && key.key_id() != kid) continue;
    candidate = true;
  }
  if (!candidate) return IdTokenError::kUnknownKey;
  auto claims = crypto::verify_jws(token, keys);
  if (!claims) return IdTokenError::kBadSignature;

  auto string_claim = [&](const char* name) -> std::string {
    auto it = claims->find(name);
    return it != claims->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (string_claim("iss") != expected.issuer) return IdTokenError::kWrongIssuer;
  std::size_t audiences = 0;
  auto aud = claims->find("aud");
  if (aud == claims->end() || !audience_contains(*aud, expected.client_id, audiences)) {
    return IdTokenError::kWrongAudience;
  }
  if (auto azp = claims->find("azp"); azp != claims->end()) {
    if (!azp->is_string() || azp->get<std::string>() != expected.client_id) {
      return IdTokenError::kWrongAuthorizedParty;
    }
  } else if (audiences > 1) {
    return IdTokenError::kWrongAuthorizedParty;
  }
  auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number()) return IdTokenError::kExpired;
  auto iat = claims->find("iat");
  if (iat == claims->end() || !iat->is_number()) return IdTokenError::kIssuedInFuture;
  switch (crypto::check_time_claims(*claims, expected.now, expected.leeway)) {
    case crypto::TimeClaims::kValid:
      break;
    case crypto::TimeClaims::kExpired:
    case crypto::TimeClaims::kMalformed:
      return IdTokenError::kExpired;
    case crypto::TimeClaims::kNotYetValid:
    case crypto::TimeClaims::kIssuedInFuture:
      return IdTokenError::kIssuedInFuture;
  }
  std::string subject = string_claim("sub");
  if (subject.empty()) return IdTokenError::kMissingSubject;
  if (!expected.nonce.empty() && string_claim("nonce") != expected.nonce) {
    return IdTokenError::kWrongNonce;
  }

  IdToken result;
  result.raw = std::string(token);
  result.issuer = string_claim("iss");
  result.subject = std::move(subject);
  result.issued_at = from_seconds(*iat);
  result.expires_at = from_seconds(*exp);
  result.claims = std::move(*claims);
  return result;
}

}  // namespace portcullis::identity
