// State, CSRF, PKCE and handle formats: round trips and tampering.

#include "authenticate/flow_state.h"

#include <gtest/gtest.h>

#include "authenticate/session_handle.h"
#include "crypto/encoding.h"
#include "crypto/jws.h"

namespace portcullis::authenticate {
namespace {

const std::string kCookieSecret(32, 'c');
const std::string kOtherSecret(32, 'd');
const std::string kCsrf(32, 'x');

TEST(State, RoundTrip) {
  auto now = std::chrono::system_clock::now();
  auto state = encode_state(kCookieSecret, kCsrf, "https://auth.test/.pomerium/sign_in?a=b", now);
  StateError error;
  auto decoded = decode_state(kCookieSecret, state, kCsrf, now + std::chrono::minutes(4), &error);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->return_url, "https://auth.test/.pomerium/sign_in?a=b");
  EXPECT_EQ(decoded->csrf, crypto::base64_encode(kCsrf, crypto::Base64::kStandard));
  // Two sign-ins never share a state or a nonce.
  auto other = encode_state(kCookieSecret, kCsrf, "https://auth.test/.pomerium/sign_in?a=b", now);
  EXPECT_NE(state, other);
  EXPECT_NE(nonce_for_state(kCookieSecret, state), nonce_for_state(kCookieSecret, other));
  EXPECT_NE(pkce_cookie_name("_pomerium", state), pkce_cookie_name("_pomerium", other));
  EXPECT_TRUE(pkce_cookie_name("_pomerium", state).starts_with("_pomerium_pkce_"));
}

TEST(State, Rejections) {
  auto now = std::chrono::system_clock::now();
  auto state = encode_state(kCookieSecret, kCsrf, "https://auth.test/x", now);
  StateError error;
  EXPECT_FALSE(decode_state(kCookieSecret, state, std::string(32, 'y'), now, &error));
  EXPECT_EQ(error, StateError::kCsrfMismatch);  // another browser
  EXPECT_FALSE(decode_state(kCookieSecret, state, "", now, &error));
  EXPECT_EQ(error, StateError::kCsrfMismatch);  // no CSRF cookie at all
  EXPECT_FALSE(decode_state(kCookieSecret, state, kCsrf, now + std::chrono::minutes(6), &error));
  EXPECT_EQ(error, StateError::kExpired);
  EXPECT_FALSE(decode_state(kCookieSecret, state, kCsrf, now - std::chrono::minutes(6), &error));
  EXPECT_EQ(error, StateError::kExpired);
  EXPECT_FALSE(decode_state(kOtherSecret, state, kCsrf, now, &error));
  EXPECT_EQ(error, StateError::kTampered);
  // A changed timestamp breaks the AEAD's associated data.
  auto raw = *crypto::base64_decode(state, crypto::Base64::kUrl);
  auto first = raw.find('|');
  auto second = raw.find('|', first + 1);
  auto ts = std::stoll(raw.substr(first + 1, second - first - 1));
  auto moved = raw.substr(0, first + 1) + std::to_string(ts + 1) + raw.substr(second);
  EXPECT_FALSE(decode_state(kCookieSecret, crypto::base64_encode(moved, crypto::Base64::kUrl),
                            kCsrf, now, &error));
  EXPECT_EQ(error, StateError::kTampered);
  for (const char* junk : {"", "abc", "!!!", "YWJj"}) {
    EXPECT_FALSE(decode_state(kCookieSecret, junk, kCsrf, now, &error)) << junk;
  }
}

TEST(CsrfCookie, RoundTripAndTampering) {
  auto now = std::chrono::system_clock::now();
  auto value = encode_csrf_cookie(kCookieSecret, "_pomerium_csrf", kCsrf, now);
  EXPECT_EQ(decode_csrf_cookie(kCookieSecret, "_pomerium_csrf", value, now), kCsrf);
  EXPECT_FALSE(decode_csrf_cookie(kOtherSecret, "_pomerium_csrf", value, now));
  EXPECT_FALSE(decode_csrf_cookie(kCookieSecret, "_other_csrf", value, now));
  EXPECT_FALSE(
      decode_csrf_cookie(kCookieSecret, "_pomerium_csrf", value, now + std::chrono::hours(13)));
  auto flipped = value;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(decode_csrf_cookie(kCookieSecret, "_pomerium_csrf", flipped, now));
  EXPECT_FALSE(decode_csrf_cookie(kCookieSecret, "_pomerium_csrf", value.substr(0, 20), now));
}

TEST(PkceCookie, RoundTripExpiryAndBinding) {
  auto now = std::chrono::system_clock::now();
  auto verifier = new_code_verifier();
  EXPECT_EQ(verifier.size(), 43u);
  auto value = encode_pkce_cookie(kCookieSecret, "_pomerium_pkce_1", verifier, now);
  EXPECT_EQ(decode_pkce_cookie(kCookieSecret, "_pomerium_pkce_1", value, now), verifier);
  EXPECT_FALSE(decode_pkce_cookie(kCookieSecret, "_pomerium_pkce_2", value, now));  // other state
  EXPECT_FALSE(decode_pkce_cookie(kOtherSecret, "_pomerium_pkce_1", value, now));
  EXPECT_FALSE(
      decode_pkce_cookie(kCookieSecret, "_pomerium_pkce_1", value, now + std::chrono::minutes(6)));
}

TEST(SessionHandle, RoundTripAndForgery) {
  const std::string secret(32, 's');
  SessionHandle handle;
  handle.issuer = "auth.test";
  handle.user_id = "alice";
  handle.audience = {"auth.test", "app.test"};
  handle.issued_at = 1700000000;
  handle.session_id = "sess-1";
  handle.idp_id = "idp";
  handle.databroker_server_version = 7;
  handle.databroker_record_version = 42;
  auto token = encode_session_handle(handle, secret);
  auto claims = crypto::verify_hs256(token, secret);
  ASSERT_TRUE(claims);
  EXPECT_EQ((*claims)["jti"], "sess-1");
  EXPECT_EQ((*claims)["databroker_record_version"], 42);
  EXPECT_FALSE(claims->contains("exp"));
  auto decoded = decode_session_handle(token, secret);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->has_audience("app.test"));
  EXPECT_EQ(decoded->databroker_server_version, 7u);
  EXPECT_FALSE(decode_session_handle(token, std::string(32, 't')));
  EXPECT_FALSE(decode_session_handle(token.substr(0, token.size() - 2), secret));
  EXPECT_EQ(handle_from_headers("Pomerium abc", ""), "abc");
  EXPECT_EQ(handle_from_headers("Bearer Pomerium-abc", ""), "abc");
  EXPECT_EQ(handle_from_headers("Bearer abc", ""), "");
  EXPECT_EQ(handle_from_headers("", "xyz"), "xyz");
}

}  // namespace
}  // namespace portcullis::authenticate
