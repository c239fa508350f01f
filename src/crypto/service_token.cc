#include "crypto/service_token.h"

#include "crypto/jws.h"

namespace portcullis::crypto {

std::string make_databroker_token(std::string_view shared_secret,
                                  std::chrono::system_clock::time_point now) {
  const nlohmann::json claims = {{"exp", unix_seconds(now + kDatabrokerTokenLifetime)}};
  return sign_hs256(shared_secret, claims);
}

bool verify_databroker_token(std::string_view token, std::string_view shared_secret,
                             std::chrono::system_clock::time_point now) {
  const auto claims = verify_hs256(token, shared_secret);
  // Exactly one claim, as Pomerium's server requires: a token minted for another purpose with the
  // same secret (a session handle, say) must not open the databroker.
  if (!claims || claims->size() != 1) return false;
  const auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number()) return false;
  return check_time_claims(*claims, now, kDatabrokerTokenLeeway) == TimeClaims::kValid;
}

}  // namespace portcullis::crypto
