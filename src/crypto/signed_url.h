#pragma once
// Pomerium's signed URLs (internal/urlutil/signed.go; DESIGN.md §5), used for the redirect from
// the authenticate service back to a route's /.pomerium/callback/.
//
// Signing sets pomerium_issued = now and pomerium_expiry = now + 5 min (Unix seconds), re-encodes
// the whole query as Go's url.Values.Encode does (keys sorted bytewise, values kept in order,
// QueryEscape: A-Z a-z 0-9 - _ . ~ kept, space as '+', every other byte %XX upper-case), then adds
//   pomerium_signature = base64url_padded(HMAC-SHA512/256(key, url + issued + " " + expiry))
// where url is the whole URL text at that point and issued/expiry are decimal. The missing space
// between url and issued is Go's fmt.Sprint, which spaces only between non-string operands.
// Known difference: Go re-escapes unusual path bytes when printing a URL; we keep the path as
// written, so only URLs whose path Go would print unchanged interoperate (all ordinary ones).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::crypto {

inline constexpr std::chrono::seconds kSignedUrlLifetime = std::chrono::minutes(5);
inline constexpr std::chrono::seconds kSignedUrlLeeway = std::chrono::minutes(1);

// `url` with the three pomerium_* parameters added (replacing any already there); nullopt when
// `url` is not an absolute URI. `key` is the raw shared secret.
std::optional<std::string> sign_url(std::string_view url, std::string_view key,
                                    std::chrono::system_clock::time_point now);

enum class SignedUrlStatus {
  kValid,
  kMalformed,         // not an absolute URI, a query Go would not parse, or bad issued/expiry
  kMissingSignature,  // no pomerium_signature
  kBadSignature,      // signature not padded base64url, or not the HMAC of this URL
  kExpired,           // pomerium_expiry more than kSignedUrlLeeway in the past
  kIssuedInFuture,    // pomerium_issued more than kSignedUrlLeeway in the future
};

// A short English description, for logs and error pages.
std::string_view to_string(SignedUrlStatus status);

// Checks a URL produced by sign_url (or by Pomerium). The signature is checked before the times,
// so an unsigned URL never learns anything about clocks.
SignedUrlStatus verify_signed_url(std::string_view url, std::string_view key,
                                  std::chrono::system_clock::time_point now);

// Extra parameters of a sign-in URL (programmatic logins).
struct SignInUrlOptions {
  std::string_view idp_id;        // pomerium_idp_id; left out when empty
  std::string_view callback_uri;  // pomerium_callback_uri; left out when empty
  bool programmatic = false;      // pomerium_programmatic=true
};

// <authenticate_url>/.pomerium/sign_in?pomerium_redirect_uri=<redirect_uri>[&...], signed as
// sign_url does: what authorize answers a browser without a session with, and what the
// programmatic login endpoint returns. The authenticate URL's own path, query and fragment are
// replaced. nullopt when `authenticate_url` is not an absolute URL with a host.
std::optional<std::string> sign_in_url(std::string_view authenticate_url,
                                       std::string_view redirect_uri, std::string_view key,
                                       std::chrono::system_clock::time_point now,
                                       const SignInUrlOptions& options = {});

}  // namespace portcullis::crypto
