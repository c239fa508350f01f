#include "crypto/session_handle.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/jws.h"

namespace portcullis::crypto {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool SessionHandle::has_audience(std::string_view host) const {
  return std::find(audience.begin(), audience.end(), host) != audience.end();
}

std::string encode_session_handle(const SessionHandle& handle, std::string_view key) {
  nlohmann::json claims = nlohmann::json::object();
  claims["iss"] = handle.issuer;
  claims["sub"] = handle.user_id;
  if (handle.audience.size() == 1) {
    claims["aud"] = handle.audience.front();
  } else {
    claims["aud"] = handle.audience;
  }
  claims["iat"] = handle.issued_at;
  claims["jti"] = handle.session_id;
  claims["idp_id"] = handle.idp_id;
  claims["databroker_server_version"] = handle.databroker_server_version;
  claims["databroker_record_version"] = handle.databroker_record_version;
  return sign_hs256(key, claims);
}

std::optional<SessionHandle> decode_session_handle(std::string_view token, std::string_view key) {
  if (key.empty()) return std::nullopt;
  auto claims = verify_hs256(token, key);
  if (!claims || !claims->is_object()) return std::nullopt;
  auto text = [&claims](const char* name) -> std::string {
    auto it = claims->find(name);
    return it != claims->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto number = [&claims](const char* name) -> std::uint64_t {
    auto it = claims->find(name);
    return it != claims->end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
  };
  if (auto sub = claims->find("sub"); sub != claims->end() && !sub->is_string()) {
    return std::nullopt;
  }
  SessionHandle handle;
  handle.session_id = text("jti");
  if (handle.session_id.empty()) return std::nullopt;
  handle.issuer = text("iss");
  handle.user_id = text("sub");
  handle.idp_id = text("idp_id");
  if (auto iat = claims->find("iat"); iat != claims->end() && iat->is_number()) {
    handle.issued_at = static_cast<std::int64_t>(iat->get<double>());
  }
  if (auto aud = claims->find("aud"); aud != claims->end()) {
    if (aud->is_string()) handle.audience.push_back(aud->get<std::string>());
    if (aud->is_array()) {
      for (const auto& entry : *aud) {
        if (entry.is_string()) handle.audience.push_back(entry.get<std::string>());
      }
    }
  }
  handle.databroker_server_version = number("databroker_server_version");
  handle.databroker_record_version = number("databroker_record_version");
  return handle;
}

AuthorizationHandle handle_from_authorization(std::string_view authorization) {
  constexpr std::string_view kPomerium = "Pomerium ";
  constexpr std::string_view kBearer = "Bearer Pomerium-";
  auto value = trim(authorization);
  if (value.starts_with(kPomerium)) return {trim(value.substr(kPomerium.size())), false};
  if (value.starts_with(kBearer)) return {value.substr(kBearer.size()), true};
  return {};
}

}  // namespace portcullis::crypto
