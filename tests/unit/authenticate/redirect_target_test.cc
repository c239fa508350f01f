// Redirect targets: the allowed ones and every trick for reaching another host.

#include "authenticate/redirect_target.h"

#include <gtest/gtest.h>

namespace portcullis::authenticate {
namespace {

TEST(RedirectTarget, Table) {
  struct Case {
    std::string target;
    RedirectCheck expected;
  };
  const std::vector<Case> cases = {
      {"https://app.test/", RedirectCheck::kOk},
      {"https://app.test/path?q=1#frag", RedirectCheck::kOk},
      {"https://APP.test:443/x", RedirectCheck::kOk},
      {"https://app.test:8443/", RedirectCheck::kHostNotAllowed},
      {"//evil.test/", RedirectCheck::kNotAbsolute},
      {"/\\evil.test/", RedirectCheck::kMalformed},
      {"https:\\\\evil.test", RedirectCheck::kMalformed},
      {"/relative", RedirectCheck::kNotAbsolute},
      {"https://app.test@evil.test/", RedirectCheck::kUserInfo},
      {"https://app.test:pw@evil.test/", RedirectCheck::kUserInfo},
      {"https://app.test.evil.test/", RedirectCheck::kHostNotAllowed},
      {"https://evil.test/app.test", RedirectCheck::kHostNotAllowed},
      {"https://evilapp.test/", RedirectCheck::kHostNotAllowed},
      {"https://%61pp.test/", RedirectCheck::kMalformed},
      {"https://app.test%2f@evil.test/", RedirectCheck::kUserInfo},
      {"https://app.test/%0d%0aSet-Cookie:x=y", RedirectCheck::kMalformed},
      {"https://app.test/\r\nSet-Cookie:x=y", RedirectCheck::kMalformed},
      {"https://app.test/ x", RedirectCheck::kMalformed},
      {"https://app.test/%5cevil", RedirectCheck::kMalformed},
      {"javascript:alert(1)", RedirectCheck::kBadScheme},
      {"JavaScript://app.test/%0aalert(1)", RedirectCheck::kMalformed},
      {"data:text/html,hi", RedirectCheck::kBadScheme},
      {"ftp://app.test/", RedirectCheck::kBadScheme},
      {"http://app.test/", RedirectCheck::kInsecure},
      {"https:///app.test", RedirectCheck::kNotAbsolute},
      {"https:app.test", RedirectCheck::kNotAbsolute},
      {"", RedirectCheck::kMalformed},
      {std::string("https://app.test\0.evil/", 23), RedirectCheck::kMalformed},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(check_redirect_target(c.target, "https", "app.test", true), c.expected)
        << c.target << " → "
        << to_string(check_redirect_target(c.target, "https", "app.test", true));
  }
}

TEST(RedirectTarget, PortsAndPlainHttp) {
  EXPECT_EQ(check_redirect_target("https://app.test:8443/x", "https", "app.test:8443", true),
            RedirectCheck::kOk);
  EXPECT_EQ(check_redirect_target("https://app.test/x", "https", "app.test:8443", true),
            RedirectCheck::kHostNotAllowed);
  EXPECT_EQ(check_redirect_target("http://app.test/x", "http", "app.test", false),
            RedirectCheck::kOk);
  EXPECT_EQ(check_redirect_target("http://app.test:80/x", "http", "app.test", false),
            RedirectCheck::kOk);
}

TEST(ProgrammaticRedirect, Whitelist) {
  const std::vector<std::string> localhost = {"localhost"};
  struct Case {
    std::string target;
    RedirectCheck expected;
  };
  const std::vector<Case> cases = {
      {"http://localhost:8000/cb", RedirectCheck::kOk},
      {"http://127.0.0.1:8000/cb", RedirectCheck::kOk},
      {"http://127.1.2.3/cb", RedirectCheck::kOk},
      {"http://[::1]:9000/", RedirectCheck::kOk},
      {"https://LOCALHOST/", RedirectCheck::kOk},
      {"http://localhost.evil.test/", RedirectCheck::kHostNotAllowed},
      {"http://evil.test/", RedirectCheck::kHostNotAllowed},
      {"http://localhost@evil.test/", RedirectCheck::kUserInfo},
      {"http://128.0.0.1/", RedirectCheck::kHostNotAllowed},
      {"file:///etc/passwd", RedirectCheck::kBadScheme},
      {"//localhost/", RedirectCheck::kNotAbsolute},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(check_programmatic_redirect(c.target, localhost), c.expected) << c.target;
  }
  EXPECT_EQ(check_programmatic_redirect("https://cli.example.com/x", {"cli.example.com"}),
            RedirectCheck::kOk);
  EXPECT_EQ(check_programmatic_redirect("http://localhost/x", {"cli.example.com"}),
            RedirectCheck::kHostNotAllowed);
}

}  // namespace
}  // namespace portcullis::authenticate
