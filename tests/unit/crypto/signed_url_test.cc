#include "crypto/signed_url.h"

#include <gtest/gtest.h>

namespace portcullis::crypto {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kIssuedAt = system_clock::time_point(seconds(1574117851));

// Pomerium's internal/urlutil/signed_test.go vector.
TEST(SignedUrlTest, MatchesPomeriumVector) {
  const auto signed_url = sign_url("https://pomerium.io", "test-key", kIssuedAt);
  ASSERT_TRUE(signed_url);
  EXPECT_EQ(*signed_url,
            "https://pomerium.io?pomerium_expiry=1574118151&pomerium_issued=1574117851"
            "&pomerium_signature=XtvM-Y-oPvoGGV2Q5G0vrQ_CgNeYhVyTG5dHIqLsBOU%3D");
  EXPECT_EQ(verify_signed_url(*signed_url, "test-key", kIssuedAt), SignedUrlStatus::kValid);
}

TEST(SignedUrlTest, EncodesTheQueryAsGoValuesEncode) {
  const auto signed_url =
      sign_url("https://a.example/cb/?z=1&a=x+y&a=%2F&b=caf%C3%A9&e&pomerium_signature=old#frag",
               "k", kIssuedAt);
  ASSERT_TRUE(signed_url);
  const std::string prefix =
      "https://a.example/cb/?a=x+y&a=%2F&b=caf%C3%A9&e=&pomerium_expiry=1574118151"
      "&pomerium_issued=1574117851&pomerium_signature=";
  EXPECT_EQ(signed_url->substr(0, prefix.size()), prefix);
  EXPECT_EQ(signed_url->substr(signed_url->size() - 9), "&z=1#frag");
  EXPECT_EQ(verify_signed_url(*signed_url, "k", kIssuedAt), SignedUrlStatus::kValid);
}

TEST(SignedUrlTest, EscapesLikeGoQueryEscape) {
  const auto signed_url = sign_url("https://a.example/?k=%20%7E%2A%21'()", "k", kIssuedAt);
  ASSERT_TRUE(signed_url);
  EXPECT_NE(signed_url->find("?k=+~%2A%21%27%28%29&"), std::string::npos) << *signed_url;
}

TEST(SignedUrlTest, ReorderedQueryStillVerifies) {
  // Verification re-encodes, as Pomerium does, so parameter order on the wire does not matter.
  const std::string url = *sign_url("https://a.example/?b=2&a=1", "k", kIssuedAt);
  const auto q = url.find('?');
  const auto a = url.find("a=1&");
  const std::string reordered = url.substr(0, q + 1) + url.substr(a + 4) + "&a=1";
  EXPECT_EQ(verify_signed_url(reordered, "k", kIssuedAt), SignedUrlStatus::kValid);
}

TEST(SignedUrlTest, RejectsWrongKeyAndTampering) {
  const std::string url =
      *sign_url("https://a.example/cb?redirect=https%3A%2F%2Fapp", "k", kIssuedAt);
  EXPECT_EQ(verify_signed_url(url, "other", kIssuedAt), SignedUrlStatus::kBadSignature);
  std::string host = url;
  host.replace(host.find("a.example"), 9, "b.example");
  EXPECT_EQ(verify_signed_url(host, "k", kIssuedAt), SignedUrlStatus::kBadSignature);
  std::string param = url;
  param.replace(param.find("app"), 3, "evil");
  EXPECT_EQ(verify_signed_url(param, "k", kIssuedAt), SignedUrlStatus::kBadSignature);
  std::string issued = url;
  issued.replace(issued.find("1574117851"), 10, "1574117852");
  EXPECT_EQ(verify_signed_url(issued, "k", kIssuedAt), SignedUrlStatus::kBadSignature);
  EXPECT_EQ(verify_signed_url(url + "&x=1", "k", kIssuedAt), SignedUrlStatus::kBadSignature);
}

TEST(SignedUrlTest, RejectsMissingOrMalformedSignatures) {
  const std::string url = *sign_url("https://a.example/", "k", kIssuedAt);
  const std::string unsigned_url = url.substr(0, url.find("&pomerium_signature="));
  EXPECT_EQ(verify_signed_url(unsigned_url, "k", kIssuedAt), SignedUrlStatus::kMissingSignature);
  EXPECT_EQ(verify_signed_url("https://a.example/", "k", kIssuedAt),
            SignedUrlStatus::kMissingSignature);
  // Unpadded, standard-alphabet or doubled signatures are not Pomerium's encoding.
  const std::string unpadded = url.substr(0, url.size() - 3);
  EXPECT_EQ(verify_signed_url(unpadded, "k", kIssuedAt), SignedUrlStatus::kBadSignature);
  EXPECT_EQ(verify_signed_url(unsigned_url + "&pomerium_signature=%2B%2F", "k", kIssuedAt),
            SignedUrlStatus::kBadSignature);
  EXPECT_EQ(verify_signed_url(url + "&pomerium_signature=x", "k", kIssuedAt),
            SignedUrlStatus::kBadSignature);
  EXPECT_EQ(verify_signed_url("not a url", "k", kIssuedAt), SignedUrlStatus::kMalformed);
  EXPECT_EQ(verify_signed_url(url + "&bad=%zz", "k", kIssuedAt), SignedUrlStatus::kMalformed);
  EXPECT_EQ(verify_signed_url(url + "&a=1;b=2", "k", kIssuedAt), SignedUrlStatus::kMalformed);
  EXPECT_FALSE(sign_url("/relative/path", "k", kIssuedAt));
}

TEST(SignedUrlTest, ChecksExpiryAndIssueTimeWithOneMinuteLeeway) {
  const std::string url = *sign_url("https://a.example/", "k", kIssuedAt);
  const auto expiry = kIssuedAt + kSignedUrlLifetime;
  EXPECT_EQ(verify_signed_url(url, "k", expiry + seconds(60)), SignedUrlStatus::kValid);
  EXPECT_EQ(verify_signed_url(url, "k", expiry + seconds(61)), SignedUrlStatus::kExpired);
  EXPECT_EQ(verify_signed_url(url, "k", kIssuedAt - seconds(60)), SignedUrlStatus::kValid);
  EXPECT_EQ(verify_signed_url(url, "k", kIssuedAt - seconds(61)), SignedUrlStatus::kIssuedInFuture);
  EXPECT_EQ(to_string(SignedUrlStatus::kExpired), "signed URL has expired");
}

TEST(SignedUrlTest, UpperCaseSchemeIsSignedLowerCase) {
  const auto signed_url = sign_url("HTTPS://pomerium.io", "test-key", kIssuedAt);
  ASSERT_TRUE(signed_url);
  EXPECT_NE(signed_url->find("XtvM-Y-oPvoGGV2Q5G0vrQ_CgNeYhVyTG5dHIqLsBOU%3D"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::crypto
