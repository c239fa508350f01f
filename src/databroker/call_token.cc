#include "databroker/call_token.h"

#include "crypto/service_token.h"

namespace portcullis::databroker {
namespace {

// A cached token is replaced this long before it expires, so that it never reaches a server
// (whose clock may differ a little) expired.
constexpr auto kRenewMargin = std::chrono::minutes(5);

}  // namespace

std::string CallTokenSigner::token() {
  auto now = std::chrono::system_clock::now();
  std::lock_guard lock(mutex_);
  if (token_.empty() || now >= renew_) {
    token_ = crypto::make_databroker_token(secret_, now);
    renew_ = now + crypto::kDatabrokerTokenLifetime - kRenewMargin;
  }
  return token_;
}

bool verify_call_token(std::string_view token, std::string_view secret) {
  return crypto::verify_databroker_token(token, secret, std::chrono::system_clock::now());
}

}  // namespace portcullis::databroker
