#include "proxy/request_target.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::proxy {
namespace {

using Verdict = RequestTarget::Verdict;
using Action = EscapedSlashesAction;

PathOptions options(bool normalize, bool merge, Action action) {
  PathOptions o;
  o.normalize_path = normalize;
  o.merge_slashes = merge;
  o.escaped_slashes = action;
  return o;
}

// Envoy's defaults as Pomerium sets them.
const PathOptions kDefault = options(true, true, Action::kRejectRequest);
const PathOptions kRaw = options(false, false, Action::kKeepUnchanged);
const PathOptions kMergeOnly = options(false, true, Action::kKeepUnchanged);
const PathOptions kNormalizeOnly = options(true, false, Action::kRejectRequest);
const PathOptions kKeep = options(true, true, Action::kKeepUnchanged);
const PathOptions kForward = options(true, true, Action::kUnescapeAndForward);
const PathOptions kRedirect = options(true, true, Action::kUnescapeAndRedirect);
const PathOptions kForwardNoMerge = options(true, false, Action::kUnescapeAndForward);
const PathOptions kForwardRaw = options(false, false, Action::kUnescapeAndForward);

std::vector<PathOptions> all_options() {
  std::vector<PathOptions> result;
  for (bool normalize : {false, true}) {
    for (bool merge : {false, true}) {
      for (Action action : {Action::kRejectRequest, Action::kKeepUnchanged,
                            Action::kUnescapeAndForward, Action::kUnescapeAndRedirect}) {
        result.push_back(options(normalize, merge, action));
      }
    }
  }
  return result;
}

std::string describe(const PathOptions& o) {
  static const char* const kActions[] = {"reject", "keep", "redirect", "forward"};
  return std::string("normalize=") + (o.normalize_path ? "on" : "off") +
         " merge=" + (o.merge_slashes ? "on" : "off") +
         " escaped_slashes=" + kActions[static_cast<int>(o.escaped_slashes)];
}

struct Case {
  std::string target;
  PathOptions opts;
  Verdict verdict;
  std::string path;   // expected unless rejected
  std::string query;  // expected unless rejected
};

Case ok(std::string target, PathOptions o, std::string path, std::string query = "") {
  return {std::move(target), o, Verdict::kOk, std::move(path), std::move(query)};
}
Case redirect(std::string target, PathOptions o, std::string path, std::string query = "") {
  return {std::move(target), o, Verdict::kRedirect, std::move(path), std::move(query)};
}
Case reject(std::string target, PathOptions o) {
  return {std::move(target), o, Verdict::kReject, "", ""};
}

void check(const Case& c) {
  SCOPED_TRACE("target=\"" + c.target + "\" " + describe(c.opts));
  const RequestTarget result = parse_request_target(c.target, c.opts);
  ASSERT_EQ(result.verdict, c.verdict) << "path=" << result.path << " error=" << result.error;
  if (c.verdict == Verdict::kReject) {
    EXPECT_FALSE(result.error.empty());
    return;
  }
  EXPECT_EQ(result.path, c.path);
  EXPECT_EQ(result.query, c.query);
  EXPECT_TRUE(result.error.empty());
}

TEST(RequestTargetTest, HostilePathsUnderDefaults) {
  const std::vector<Case> cases = {
      ok("/", kDefault, "/"),
      ok("/a/b", kDefault, "/a/b"),
      ok("/a/./b", kDefault, "/a/b"),
      ok("/a/../b", kDefault, "/b"),
      ok("/../a", kDefault, "/a"),
      ok("/a/b/..", kDefault, "/a/"),
      ok("/a/b/../", kDefault, "/a/"),
      ok("/a/..", kDefault, "/"),
      ok("/a/.", kDefault, "/a/"),
      ok("//a///b", kDefault, "/a/b"),
      ok("/a//../b", kDefault, "/a/b"),
      ok("/a/%2e%2e/b", kDefault, "/b"),
      ok("/a/%2E%2e/%2e/b", kDefault, "/b"),
      ok("/a/.%2e/b", kDefault, "/b"),
      ok("/%2e%2e/%2e%2e/x", kDefault, "/x"),
      ok("/../../etc/passwd", kDefault, "/etc/passwd"),
      ok("/a/b/c/../../../../../../etc/passwd", kDefault, "/etc/passwd"),
      ok("/a\\b", kDefault, "/a/b"),
      ok("/a\\..\\..\\etc", kDefault, "/etc"),
      reject("\\", kDefault),
      ok("/%61dmin", kDefault, "/admin"),
      ok("/%7e%7E%2d%2E%5f%41%7a%30", kDefault, "/~~-._Az0"),
      ok("/a%20b", kDefault, "/a%20b"),
      ok("/a%3ab%3Fc", kDefault, "/a%3Ab%3Fc"),
      ok("/%C3%A9", kDefault, "/%C3%A9"),
      ok("/%c3%a9", kDefault, "/%C3%A9"),
      ok("/a%25", kDefault, "/a%25"),
      ok("/a%252e%252e/b", kDefault, "/a%252e%252e/b"),
      ok("/a;b", kDefault, "/a;b"),
      ok("/a;b/../c", kDefault, "/c"),
      ok("/a/...", kDefault, "/a/..."),
      ok("/a/.b/..c", kDefault, "/a/.b/..c"),
      ok("/./", kDefault, "/"),
      ok("/.", kDefault, "/"),
      ok("/..", kDefault, "/"),
      ok("/.%2e", kDefault, "/"),
      ok("/a?b=../..%2f", kDefault, "/a", "?b=../..%2f"),
      ok("/a/../b?x=/../y", kDefault, "/b", "?x=/../y"),
      ok("/a?", kDefault, "/a", "?"),
      ok("/?x=1&y=2", kDefault, "/", "?x=1&y=2"),
      ok("/a?x=%zz&y=%00", kDefault, "/a", "?x=%zz&y=%00"),
      ok("/a?x=a?b", kDefault, "/a", "?x=a?b"),
      ok("/a?x=%2F", kDefault, "/a", "?x=%2F"),
      ok("/!$&'()*+,=:@-._~[]{}|^`\"<>", kDefault, "/!$&'()*+,=:@-._~[]{}|^`\"<>"),
      reject("/a%2fb", kDefault),
      reject("/a%2Fb", kDefault),
      reject("/a%5cb", kDefault),
      reject("/a%5Cb", kDefault),
      reject("/a/..%2f..%2fetc", kDefault),
      reject("/a%zzb", kDefault),
      reject("/a%", kDefault),
      reject("/a%4", kDefault),
      reject("/a%4g", kDefault),
      reject("/a%%41", kDefault),
      reject("/a%00b", kDefault),
      reject("/a b", kDefault),
      reject("/a\tb", kDefault),
      reject("/a\rb", kDefault),
      reject("/a\nb", kDefault),
      reject(std::string("/a\0b", 4), kDefault),
      reject("/a\x7f", kDefault),
      reject("/a\x01", kDefault),
      reject("/a#frag", kDefault),
      reject("/a?x#frag", kDefault),
      reject("/caf\xC3\xA9", kDefault),
      reject("/a?caf\xC3\xA9", kDefault),
      reject("/a?x y", kDefault),
      reject("", kDefault),
      reject("*", kDefault),
      reject("example.com:443", kDefault),
      reject("example.com", kDefault),
      reject(".", kDefault),
      reject("..", kDefault),
      reject("a/b", kDefault),
      reject("?x", kDefault),
  };
  for (const Case& c : cases) check(c);
}

TEST(RequestTargetTest, AbsoluteForm) {
  struct AbsoluteCase {
    std::string target;
    std::string authority;
    std::string path;
    std::string query;
  };
  const std::vector<AbsoluteCase> cases = {
      {"http://h/x/../y", "h", "/y", ""},
      {"HTTP://h/x", "h", "/x", ""},
      {"HtTpS://Example.COM:8443/a?b", "Example.COM:8443", "/a", "?b"},
      {"http://h", "h", "/", ""},
      {"http://h?q=1", "h", "/", "?q=1"},
      {"https://h:443", "h:443", "/", ""},
      {"http://h:/a", "h:", "/a", ""},
      {"http://[::1]:8080/a//b", "[::1]:8080", "/a/b", ""},
      {"http://127.0.0.1/%2e%2e/admin", "127.0.0.1", "/admin", ""},
  };
  for (const AbsoluteCase& c : cases) {
    SCOPED_TRACE(c.target);
    const RequestTarget result = parse_request_target(c.target, kDefault);
    ASSERT_EQ(result.verdict, Verdict::kOk) << result.error;
    EXPECT_EQ(result.authority, c.authority);
    EXPECT_EQ(result.path, c.path);
    EXPECT_EQ(result.query, c.query);
  }
  for (const char* bad :
       {"ftp://h/x", "ws://h/x", "http:/x", "http:x", "http://", "http:///x", "http://?x",
        "http://user@h/x", "http://user:pw@h/x", "http://h:99999/", "http://h:8o/", "http://[::1/x",
        "http://h/a%2fb", "http://h/a b", "//h/x\x80", "https//h/x"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(parse_request_target(bad, kDefault).verdict, Verdict::kReject);
  }
  // Origin-form never carries an authority, even when the path looks like one.
  const RequestTarget origin = parse_request_target("//evil.example/x", kDefault);
  ASSERT_EQ(origin.verdict, Verdict::kOk);
  EXPECT_EQ(origin.authority, "");
  EXPECT_EQ(origin.path, "/evil.example/x");
}

TEST(RequestTargetTest, OptionCombinations) {
  const std::vector<Case> cases = {
      // Everything off: bytes are forwarded as received (after validation).
      ok("/a/./b", kRaw, "/a/./b"),
      ok("/a/../b", kRaw, "/a/../b"),
      ok("//a///b", kRaw, "//a///b"),
      ok("/a/%2e%2e/b", kRaw, "/a/%2e%2e/b"),
      ok("/%61dmin", kRaw, "/%61dmin"),
      ok("/a%3ab", kRaw, "/a%3ab"),
      ok("/a\\b", kRaw, "/a\\b"),
      ok("/a%2fb", kRaw, "/a%2fb"),
      ok("/a%5cb", kRaw, "/a%5cb"),
      // merge_slashes alone.
      ok("//a///b//", kMergeOnly, "/a/b/"),
      ok("/a/../b", kMergeOnly, "/a/../b"),
      ok("/a%2f%2fb", kMergeOnly, "/a%2f%2fb"),
      // normalize_path alone: empty segments stay and take part in dot-segment removal.
      ok("//a///b", kNormalizeOnly, "//a///b"),
      ok("/a/..//b", kNormalizeOnly, "//b"),
      ok("/a//../b", kNormalizeOnly, "/a/b"),
      ok("/a\\\\b", kNormalizeOnly, "/a//b"),
      reject("/a%2fb", kNormalizeOnly),
      // KEEP_UNCHANGED: escaped slashes stay escaped (hex upper-cased by normalisation) and do
      // not split segments.
      ok("/a%2fb", kKeep, "/a%2Fb"),
      ok("/a%5cb", kKeep, "/a%5Cb"),
      ok("/a/..%2f..%2fetc", kKeep, "/a/..%2F..%2Fetc"),
      ok("/a/..%2F../etc", kKeep, "/a/..%2F../etc"),
      ok("/a/..%2F/../etc", kKeep, "/a/etc"),
      ok("/a%2F%2Fb", kKeep, "/a%2F%2Fb"),
      // UNESCAPE_AND_FORWARD: decoded to '/', then normalised and merged.
      ok("/a%2fb", kForward, "/a/b"),
      ok("/a%2Fb", kForward, "/a/b"),
      ok("/a%5cb", kForward, "/a/b"),
      ok("/a%5Cb", kForward, "/a/b"),
      ok("/a/..%2f..%2fetc", kForward, "/etc"),
      ok("/a%2f..%2f..%2fb", kForward, "/b"),
      ok("/%2F%2Fevil", kForward, "/evil"),
      ok("/%2F%2Fevil", kForwardNoMerge, "///evil"),
      ok("/a%2fb?x=%2f", kForward, "/a/b", "?x=%2f"),
      ok("/a%2fb/%2e%2e", kForwardRaw, "/a/b/%2e%2e"),
      ok("/a%5cb\\c", kForwardRaw, "/a/b\\c"),
      // UNESCAPE_AND_REDIRECT: redirect only when something was unescaped.
      redirect("/a%2fb", kRedirect, "/a/b"),
      redirect("/a%5Cb?x=%2f", kRedirect, "/a/b", "?x=%2f"),
      redirect("/a/..%2f..%2fetc", kRedirect, "/etc"),
      ok("/a/b", kRedirect, "/a/b"),
      ok("/a/../b?x=%2f", kRedirect, "/b", "?x=%2f"),
      ok("/a\\b", kRedirect, "/a/b"),
  };
  for (const Case& c : cases) check(c);
}

// Malformed targets are refused whatever the options say.
TEST(RequestTargetTest, RejectedUnderEveryOptionCombination) {
  const std::vector<std::string> targets = {
      "",
      "*",
      "example.com:443",
      "a/b",
      ".",
      "/a%",
      "/a%4",
      "/a%zzb",
      "/a%00b",
      "/%00",
      "/a b",
      "/a\tb",
      "/a#frag",
      "/caf\xC3\xA9",
      "/a\x7f",
      "/a?\x01",
      "ftp://h/",
      "http://u@h/",
      std::string("/\0", 2),
  };
  for (const PathOptions& o : all_options()) {
    for (const std::string& target : targets) check(reject(target, o));
  }
}

TEST(RequestTargetTest, EscapedSlashesRejectedOnlyByRejectRequest) {
  for (const PathOptions& o : all_options()) {
    for (const char* target : {"/a%2fb", "/a%2Fb", "/a%5cb", "/a%5Cb"}) {
      SCOPED_TRACE(std::string(target) + " " + describe(o));
      const RequestTarget result = parse_request_target(target, o);
      switch (o.escaped_slashes) {
        case Action::kRejectRequest:
          EXPECT_EQ(result.verdict, Verdict::kReject);
          break;
        case Action::kKeepUnchanged:
          EXPECT_EQ(result.verdict, Verdict::kOk);
          EXPECT_NE(result.path.find('%'), std::string::npos);
          break;
        case Action::kUnescapeAndForward:
          EXPECT_EQ(result.verdict, Verdict::kOk);
          EXPECT_EQ(result.path, "/a/b");
          break;
        case Action::kUnescapeAndRedirect:
          EXPECT_EQ(result.verdict, Verdict::kRedirect);
          EXPECT_EQ(result.path, "/a/b");
          break;
      }
    }
  }
}

// With the defaults the result is canonical: no dot segments, no empty segments, and parsing
// it again changes nothing (the path authorized is the path forwarded, and stays so).
TEST(RequestTargetTest, NormalisedPathsAreCanonicalAndStable) {
  const std::vector<std::string> targets = {
      "/a/./b/../c//d/",    "/%2e/%2E%2e/x/.",  "//..//..//x",         "/a\\.\\..\\b",
      "/x/%2e%2e%2f",       "/a/b/c/./../../g", "/mid/content=5/../6", "/a/.../b/...",
      "/%41%42%43/%7e/%3F", "/.//./..//",       "/a/..%5c..%5cb",
  };
  for (const PathOptions& o : {kDefault, kForward, kKeep}) {
    for (const std::string& target : targets) {
      SCOPED_TRACE(target + " " + describe(o));
      const RequestTarget first = parse_request_target(target, o);
      if (first.verdict == Verdict::kReject) continue;
      const std::string& path = first.path;
      ASSERT_FALSE(path.empty());
      EXPECT_EQ(path.front(), '/');
      EXPECT_EQ(path.find("//"), std::string::npos);
      EXPECT_EQ(path.find("/./"), std::string::npos);
      EXPECT_EQ(path.find("/../"), std::string::npos);
      EXPECT_FALSE(path.ends_with("/.") || path.ends_with("/.."));
      const RequestTarget second = parse_request_target(path, o);
      ASSERT_EQ(second.verdict, Verdict::kOk);
      EXPECT_EQ(second.path, path);
    }
  }
  // The RFC 3986 §5.4 examples for remove_dot_segments, as paths.
  EXPECT_EQ(parse_request_target("/b/c/./../../g", kDefault).path, "/g");
  EXPECT_EQ(parse_request_target("/mid/content=5/../6", kDefault).path, "/mid/6");
}

TEST(RequestTargetTest, LongPathsAreLinear) {
  std::string target;
  for (int i = 0; i < 20000; ++i) target += "/a/%2e%2e/./";
  target += "end";
  const RequestTarget result = parse_request_target(target, kDefault);
  ASSERT_EQ(result.verdict, Verdict::kOk);
  EXPECT_EQ(result.path, "/end");
}

TEST(HeaderNameTest, ValidTokens) {
  for (const char* name : {"Host", "content-type", "X-Forwarded-For", "x_custom", "a", "0",
                           "!#$%&'*+-.^_`|~", "X-Pomerium-Jwt-Assertion", "ABCxyz0189"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(is_valid_header_name(name));
  }
}

TEST(HeaderNameTest, InvalidTokens) {
  const std::vector<std::string> names = {
      "",      " ",           "Host ",
      " Host", "Ho st",       "Host:",
      "a\tb",  "a\r\nb",      "a(b",
      "a)b",   "a,b",         "a/b",
      "a;b",   "a<b",         "a=b",
      "a>b",   "a?b",         "a@b",
      "a[b",   "a\\b",        "a]b",
      "a{b",   "a}b",         "a\"b",
      "a\x7f", "caf\xC3\xA9", std::string("a\0b", 3),
  };
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(is_valid_header_name(name));
  }
}

TEST(HeaderNameTest, Underscores) {
  EXPECT_TRUE(has_underscore("x_forwarded_for"));
  EXPECT_TRUE(has_underscore("_"));
  EXPECT_TRUE(has_underscore("X-Client_Ip"));
  EXPECT_FALSE(has_underscore("x-forwarded-for"));
  EXPECT_FALSE(has_underscore(""));
}

}  // namespace
}  // namespace portcullis::proxy
