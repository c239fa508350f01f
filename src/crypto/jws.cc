#include "crypto/jws.h"

#include <stdexcept>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws_detail.h"

namespace portcullis::crypto {
namespace detail {

std::optional<CompactJws> split_compact(std::string_view token) {
  if (token.size() > kMaxJwsSize) return std::nullopt;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  CompactJws parts{token.substr(0, second), token.substr(0, first),
                   token.substr(first + 1, second - first - 1), token.substr(second + 1)};
  if (parts.header.empty() || parts.payload.empty() || parts.signature.empty()) {
    return std::nullopt;
  }
  return parts;
}

std::optional<nlohmann::json> decode_json_object(std::string_view base64url) {
  const auto bytes = base64url_decode(base64url);
  if (!bytes) return std::nullopt;
  auto value = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;  // also false for a parse failure ("discarded")
  return value;
}

nlohmann::json make_header(std::string_view alg, std::string_view kid,
                           const nlohmann::json& extra) {
  if (!extra.is_object()) throw std::invalid_argument("JWS header extras must be a JSON object");
  nlohmann::json header = extra;
  header["alg"] = alg;
  if (!header.contains("typ")) header["typ"] = "JWT";
  if (!kid.empty()) header["kid"] = kid;
  return header;
}

std::string signing_input(const nlohmann::json& header, const nlohmann::json& claims) {
  if (!claims.is_object()) throw std::invalid_argument("JWT claims must be a JSON object");
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  std::string out = base64url_encode(header.dump(-1, ' ', false, kReplace));
  out += '.';
  out += base64url_encode(claims.dump(-1, ' ', false, kReplace));
  return out;
}

std::optional<std::string> header_algorithm(const nlohmann::json& header) {
  if (!header.is_object() || header.contains("crit")) return std::nullopt;
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return std::nullopt;
  return alg->get<std::string>();
}

}  // namespace detail

std::string sign_hs256(std::string_view key, const nlohmann::json& claims,
                       const nlohmann::json& header_extra) {
  std::string token = detail::signing_input(detail::make_header("HS256", "", header_extra), claims);
  const std::string mac = hmac_sha256(key, token);
  token += '.';
  token += base64url_encode(mac);
  return token;
}

std::optional<nlohmann::json> verify_hs256(std::string_view token, std::string_view key) {
  const auto parts = detail::split_compact(token);
  if (!parts) return std::nullopt;
  // The MAC first: a forged token is turned away before any of its JSON is parsed.
  const auto mac = base64url_decode(parts->signature);
  if (!mac || !constant_time_equal(*mac, hmac_sha256(key, parts->signing_input))) {
    return std::nullopt;
  }
  // A valid MAC over a header naming another algorithm is still refused: the header is part of
  // what the signer meant, and accepting it would blur which algorithm a key is for.
  const auto header = detail::decode_json_object(parts->header);
  if (!header || detail::header_algorithm(*header) != "HS256") return std::nullopt;
  return detail::decode_json_object(parts->payload);
}

std::optional<nlohmann::json> peek_jws_header(std::string_view token) {
  const auto parts = detail::split_compact(token);
  if (!parts) return std::nullopt;
  return detail::decode_json_object(parts->header);
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimeClaims check_time_claims(const nlohmann::json& claims,
                             std::chrono::system_clock::time_point now,
                             std::chrono::seconds leeway) {
  if (!claims.is_object()) return TimeClaims::kMalformed;
  // Compared as doubles: NumericDate may carry a fraction, and seconds fit a double exactly.
  const double now_s = static_cast<double>(unix_seconds(now));
  const double leeway_s = static_cast<double>(leeway.count());
  bool malformed = false;
  const auto read = [&](const char* name) -> std::optional<double> {
    const auto it = claims.find(name);
    if (it == claims.end()) return std::nullopt;
    if (!it->is_number()) {
      malformed = true;
      return std::nullopt;
    }
    return it->get<double>();
  };
  const auto exp = read("exp");
  const auto nbf = read("nbf");
  const auto iat = read("iat");
  if (malformed) return TimeClaims::kMalformed;
  if (exp && now_s - leeway_s > *exp) return TimeClaims::kExpired;
  if (nbf && now_s + leeway_s < *nbf) return TimeClaims::kNotYetValid;
  if (iat && now_s + leeway_s < *iat) return TimeClaims::kIssuedInFuture;
  return TimeClaims::kValid;
}

}  // namespace portcullis::crypto
