// The two JWS operations on the request path: checking a session handle (HS256) and signing the
// identity JWT (ES256, done once per session and audience, then cached).

#include <benchmark/benchmark.h>

#include "crypto/jws.h"
#include "crypto/signing_key.h"

namespace portcullis::crypto {
namespace {

const nlohmann::json kHandleClaims = {
    {"iss", "authenticate.example.com"}, {"aud", "app.example.com"}, {"sub", "user-0123456789"},
    {"jti", "session-0123456789abcdef"}, {"iat", 1700000000},        {"idp_id", "idp-1"}};

void BM_Hs256Verify(benchmark::State& state) {
  const std::string key(32, '\x5a');
  const std::string token = sign_hs256(key, kHandleClaims);
  for (auto _ : state) {
    auto claims = verify_hs256(token, key);
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_Hs256Verify);

void BM_Es256Sign(benchmark::State& state) {
  const SigningKey signing_key = derive_signing_key(std::string(32, '\x5a'));
  nlohmann::json claims = kHandleClaims;
  claims["email"] = "user@example.com";
  claims["groups"] = {"admins", "developers"};
  for (auto _ : state) {
    std::string token = signing_key.sign(claims);
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_Es256Sign);

}  // namespace
}  // namespace portcullis::crypto
