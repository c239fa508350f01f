// Session handle extraction (cookie and the three header forms) and HMAC verification, including
// forged, truncated, alg-none and wrong-secret tokens, and the per-worker cache.

#include "authorize/session_handle.h"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/encoding.h"
#include "crypto/jws.h"

namespace portcullis::authorize {
namespace {

using policy::HeaderView;

const std::string kSecret(32, 'k');

std::string handle_token(const std::string& secret = kSecret,
                         nlohmann::json claims = {{"jti", "sess-1"}, {"sub", "user-1"}}) {
  return crypto::sign_hs256(secret, claims);
}

struct ExtractRow {
  const char* name;
  std::vector<HeaderView> headers;
  std::string_view token;
  HandleSource source;
};

TEST(FindHandleToken, Table) {
  const std::vector<ExtractRow> rows = {
      {"none", {}, "", HandleSource::kNone},
      {"cookie", {{"Cookie", "a=1; _pomerium=tok; b=2"}}, "tok", HandleSource::kCookie},
      {"cookie, lower-case header name",
       {{"cookie", "_pomerium=tok"}},
       "tok",
       HandleSource::kCookie},
      {"quoted cookie", {{"Cookie", "_pomerium=\"tok\""}}, "tok", HandleSource::kCookie},
      {"cookie in the second Cookie header",
       {{"Cookie", "a=1"}, {"Cookie", "_pomerium=tok"}},
       "tok",
       HandleSource::kCookie},
      {"similar cookie name is not it",
       {{"Cookie", "_pomerium_csrf=x; x_pomerium=y"}},
       "",
       HandleSource::kNone},
      {"empty cookie", {{"Cookie", "_pomerium="}}, "", HandleSource::kNone},
      {"x-pomerium-authorization",
       {{"X-Pomerium-Authorization", "tok"}},
       "tok",
       HandleSource::kPomeriumAuthorization},
      {"Authorization: Pomerium",
       {{"Authorization", "Pomerium tok"}},
       "tok",
       HandleSource::kAuthorizationPomerium},
      {"Authorization: Bearer Pomerium-",
       {{"authorization", "Bearer Pomerium-tok"}},
       "tok",
       HandleSource::kAuthorizationBearer},
      {"a plain bearer token is not a handle",
       {{"Authorization", "Bearer tok"}},
       "",
       HandleSource::kNone},
      {"basic auth is not a handle",
       {{"Authorization", "Basic dXNlcjpwYXNz"}},
       "",
       HandleSource::kNone},
      {"the cookie wins over headers",
       {{"Authorization", "Pomerium header"}, {"Cookie", "_pomerium=cookie"}},
       "cookie",
       HandleSource::kCookie},
      {"x-pomerium-authorization before Authorization",
       {{"Authorization", "Pomerium b"}, {"X-Pomerium-Authorization", "a"}},
       "a",
       HandleSource::kPomeriumAuthorization},
  };
  for (const auto& row : rows) {
    auto found = find_handle_token(row.headers, "_pomerium");
    EXPECT_EQ(found.token, row.token) << row.name;
    EXPECT_EQ(found.source, row.source) << row.name;
  }
}

TEST(FindHandleToken, CustomCookieName) {
  std::vector<HeaderView> headers = {{"Cookie", "_pomerium=a; _custom=b"}};
  EXPECT_EQ(find_handle_token(headers, "_custom").token, "b");
}

TEST(VerifySessionHandle, ValidHandle) {
  auto handle = verify_session_handle(handle_token(), kSecret);
  ASSERT_TRUE(handle);
  EXPECT_EQ(handle->session_id, "sess-1");
  EXPECT_EQ(handle->user_id, "user-1");
}

TEST(VerifySessionHandle, RejectsEverythingElse) {
  std::string good = handle_token();
  std::string header_b64 = good.substr(0, good.find('.'));
  std::string none_header = crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})");
  std::string payload = crypto::base64url_encode(R"({"jti":"sess-1","sub":"user-1"})");
  std::string tampered_payload = crypto::base64url_encode(R"({"jti":"sess-2","sub":"user-1"})");
  std::string signature = good.substr(good.rfind('.') + 1);
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"empty", ""},
      {"garbage", "not a token"},
      {"truncated", good.substr(0, good.size() - 5)},
      {"signature cut off", good.substr(0, good.rfind('.'))},
      {"alg none", none_header + "." + payload + "."},
      {"alg none with a signature", none_header + "." + payload + "." + signature},
      {"payload swapped", header_b64 + "." + tampered_payload + "." + signature},
      {"wrong secret", handle_token(std::string(32, 'x'))},
      {"no jti", handle_token(kSecret, {{"sub", "user-1"}})},
      {"empty jti", handle_token(kSecret, {{"jti", ""}, {"sub", "user-1"}})},
      {"numeric jti", handle_token(kSecret, {{"jti", 7}, {"sub", "user-1"}})},
      {"numeric sub", handle_token(kSecret, {{"jti", "s"}, {"sub", 7}})},
  };
  for (const auto& [name, token] : bad) {
    EXPECT_FALSE(verify_session_handle(token, kSecret)) << name;
  }
  EXPECT_FALSE(verify_session_handle(good, "")) << "no secret";
}

TEST(HandleCache, CachesOnlyValidHandles) {
  HandleCache cache(8);
  std::string token = handle_token();
  const SessionHandle* first = cache.verify(token, kSecret);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->session_id, "sess-1");
  const SessionHandle* second = cache.verify(token, kSecret);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);

  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(cache.verify(forged, kSecret), nullptr);
  EXPECT_EQ(cache.verify(forged, kSecret), nullptr);
  EXPECT_EQ(cache.misses(), 3u) << "a forged token is checked every time";
  // The valid entry survived the forgeries only if they mapped elsewhere; either way it verifies.
  ASSERT_NE(cache.verify(token, kSecret), nullptr);
  EXPECT_EQ(cache.verify(token, kSecret)->user_id, "user-1");
}

TEST(HandleCache, AHitComparesTheWholeToken) {
  // Slots are chosen by the token's tail (its signature): a token that differs only before it
  // lands in the same slot and must still be verified, not taken for the cached one.
  HandleCache cache(8);
  std::string token = handle_token();
  ASSERT_NE(cache.verify(token, kSecret), nullptr);
  for (std::size_t at : {std::size_t(0), token.find('.') + 1, token.size() / 2}) {
    std::string tampered = token;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    EXPECT_EQ(cache.verify(tampered, kSecret), nullptr) << "changed at " << at;
  }
  std::string longer = "x" + token;
  EXPECT_EQ(cache.verify(longer, kSecret), nullptr);
  EXPECT_EQ(cache.verify(token.substr(1), kSecret), nullptr);
  EXPECT_EQ(cache.verify(token, kSecret)->session_id, "sess-1");
}

TEST(HandleCache, CollisionsEvictButStayCorrect) {
  HandleCache cache(1);
  std::string a = handle_token(kSecret, {{"jti", "a"}, {"sub", "u"}});
  std::string b = handle_token(kSecret, {{"jti", "b"}, {"sub", "u"}});
  EXPECT_EQ(cache.verify(a, kSecret)->session_id, "a");
  EXPECT_EQ(cache.verify(b, kSecret)->session_id, "b");
  EXPECT_EQ(cache.verify(a, kSecret)->session_id, "a");
}

}  // namespace
}  // namespace portcullis::authorize
