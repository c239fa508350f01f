// The authorizer end to end over fake records: handle → session → policy → allow with identity
// headers, or deny with the response (sign-in redirect, 401 JSON/HTML, 403 with reasons, 503).

#include "authorize/authorizer.h"

#include <gtest/gtest.h>

#include "crypto/jws.h"
#include "crypto/signed_url.h"
#include "fake_session_source.h"
#include "jwt_verifier.h"

namespace portcullis::authorize {
namespace {

using testing::FakeSessionSource;
using testing::verify_with_jwks;

const std::string kSecret(32, 'z');
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));

config::Route route(std::size_t index, std::string host) {
  config::Route r;
  r.index = index;
  r.id = "route-" + std::to_string(index);
  r.from = "https://" + host;
  r.from_scheme = "https";
  r.from_host = host;
  return r;
}

std::shared_ptr<const config::Config> make_config() {
  auto config = std::make_shared<config::Config>();
  auto& o = config->options;
  o.shared_secret = "enp6enp6enp6enp6enp6enp6enp6enp6enp6enp6eno=";  // 32 x 'z'
  o.authenticate_service_url = "https://authn.example.com";
  o.jwt_claims_headers = {{"x-pomerium-claim-email", "email"}};
  auto authn = route(0, "app.example.com");
  authn.allow_any_authenticated_user = true;
  authn.pass_identity_headers = true;
  authn.set_request_headers = {{"X-Token", "Bearer ${pomerium.access_token}"},
                               {"X-Jwt", "$pomerium.jwt"},
                               {"X-Literal", "plain"}};
  auto by_email = route(1, "mail.example.com");
  by_email.policy_json = R"({"allow":{"or":[{"email":{"is":"ada@example.com"}}]}})";
  auto deny_post = route(2, "ro.example.com");
  deny_post.policy_json = R"([{"allow":{"or":[{"accept":true}]}},
                              {"deny":{"or":[{"http_method":{"is":"POST"}}]}}])";
  auto by_ip = route(3, "ip.example.com");
  by_ip.policy_json = R"({"allow":{"or":[{"source_ip":"10.0.0.0/8"}]}})";
  auto closed = route(4, "closed.example.com");
  auto pub = route(5, "pub.example.com");
  pub.allow_public_unauthenticated_access = true;
  pub.set_request_headers = {{"X-Echo", "${pomerium.request.headers[\"X-In\"]}"}};
  config->routes = {authn, by_email, deny_post, by_ip, closed, pub};
  return config;
}

struct Fixture {
  std::shared_ptr<FakeSessionSource> source = std::make_shared<FakeSessionSource>();
  std::shared_ptr<const config::Config> config = make_config();
  std::unique_ptr<Authorizer> authorizer;
  HeaderList upstream;
  std::vector<policy::HeaderView> headers;

  Fixture() {
    session::Session s;
    s.set_id("sess-1");
    s.set_user_id("user-1");
    s.mutable_expires_at()->set_seconds(1800000000 + 3600);
    s.mutable_oauth_token()->set_access_token("access-1");
    source->put(s);
    user::User u;
    u.set_id("user-1");
    u.set_email("ada@example.com");
    source->put(u);
    AuthorizeEnvironment env;
    env.sessions = source;
    authorizer = std::make_unique<Authorizer>(config, env, 2);
  }

  std::string handle(std::string session = "sess-1", std::string user = "user-1") {
    return crypto::sign_hs256(kSecret, {{"jti", session}, {"sub", user}});
  }

  CheckResult check(std::size_t route_index, std::string accept = "",
                    std::vector<policy::HeaderView> extra = {}, std::string method = "GET",
                    std::string ip = "192.0.2.1") {
    headers = std::move(extra);
    request = {};
    method_ = method;
    accept_ = accept;
    ip_ = ip;
    request.method = method_;
    request.scheme = "https";
    request.host = config->routes[route_index].from_host;
    request.path = "/some/path";
    request.query = "?q=1&r=<x>";
    request.accept = accept_;
    request.client_ip = ip_;
    request.request_id = "req-<1>";
    request.headers = headers;
    return authorizer->check(0, config->routes[route_index], request, upstream, kNow);
  }

  std::string header(std::string_view name) const {
    for (const auto& h : upstream.items()) {
      if (h.name == name) return h.value;
    }
    return "<absent>";
  }

  CheckRequest request;
  std::string method_, accept_, ip_;
};

TEST(Authorizer, NoSessionBrowserIsSentToSignIn) {
  Fixture f;
  auto result = f.check(0, "text/html,application/xhtml+xml,*/*;q=0.8");
  EXPECT_FALSE(result.allowed);
  EXPECT_EQ(result.status, 302);
  auto reply = f.authorizer->deny_reply(result, f.request, kNow);
  EXPECT_EQ(reply.status, 302);
  EXPECT_TRUE(reply.location.starts_with("https://authn.example.com/.pomerium/sign_in?"));
  EXPECT_NE(reply.location.find("pomerium_redirect_uri=https%3A%2F%2Fapp.example.com%2Fsome%2Fpath%"
                                "3Fq%3D1%26r%3D%3Cx%3E"),
            std::string::npos)
      << reply.location;
  EXPECT_EQ(crypto::verify_signed_url(reply.location, kSecret, kNow),
            crypto::SignedUrlStatus::kValid);
  EXPECT_EQ(crypto::verify_signed_url(reply.location, std::string(32, 'x'), kNow),
            crypto::SignedUrlStatus::kBadSignature);
  EXPECT_EQ(crypto::verify_signed_url(reply.location, kSecret, kNow + std::chrono::minutes(7)),
            crypto::SignedUrlStatus::kExpired);
  bool intercepted = false;
  for (const auto& [name, value] : reply.headers) {
    intercepted |= name == kInterceptedHeader && value == "true";
  }
  EXPECT_TRUE(intercepted);
}

TEST(Authorizer, DecisionToResponseTable) {
  struct Row {
    const char* name;
    std::size_t route;
    std::string accept;
    std::string method;
    std::string ip;
    bool signed_in;
    int status;
    std::string content_type;
  };
  const std::vector<Row> rows = {
      {"api client without session", 0, "application/json", "GET", "192.0.2.1", false, 401,
       "application/json"},
      {"curl without session", 0, "*/*", "GET", "192.0.2.1", false, 401,
       "text/html; charset=utf-8"},
      {"browser without session", 0, "text/html", "GET", "192.0.2.1", false, 302, ""},
      {"signed in", 0, "text/html", "GET", "192.0.2.1", true, 200, ""},
      {"email allowed", 1, "", "GET", "192.0.2.1", true, 200, ""},
      {"email route, not signed in, api", 1, "application/json", "GET", "192.0.2.1", false, 401,
       "application/json"},
      {"deny by method wins", 2, "application/json", "POST", "192.0.2.1", true, 403,
       "application/json"},
      {"deny by method, browser page", 2, "text/html", "POST", "192.0.2.1", false, 403,
       "text/html; charset=utf-8"},
      {"method allowed", 2, "", "GET", "192.0.2.1", false, 200, ""},
      {"source ip allowed without session", 3, "", "GET", "10.1.2.3", false, 200, ""},
      {"source ip refused", 3, "text/html", "GET", "192.0.2.1", false, 403,
       "text/html; charset=utf-8"},
      {"route without policy", 4, "text/html", "GET", "192.0.2.1", true, 403,
       "text/html; charset=utf-8"},
  };
  for (const auto& row : rows) {
    Fixture f;
    std::vector<policy::HeaderView> headers;
    std::string cookie = "_pomerium=" + f.handle();
    if (row.signed_in) headers.push_back({"Cookie", cookie});
    auto result = f.check(row.route, row.accept, headers, row.method, row.ip);
    EXPECT_EQ(result.status, row.status) << row.name;
    EXPECT_EQ(result.allowed, row.status == 200) << row.name;
    if (row.status != 200) {
      auto reply = f.authorizer->deny_reply(result, f.request, kNow);
      EXPECT_EQ(reply.status, row.status) << row.name;
      if (!row.content_type.empty()) {
        EXPECT_EQ(reply.content_type, row.content_type) << row.name;
      }
    }
  }
}

TEST(Authorizer, JsonAndHtmlBodies) {
  Fixture f;
  auto result = f.check(0, "application/json");
  auto reply = f.authorizer->deny_reply(result, f.request, kNow);
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["request_id"], "req-<1>");
  EXPECT_TRUE(body["error"].is_string());

  auto denied = f.check(2, "text/html", {}, "POST");
  auto page = f.authorizer->deny_reply(denied, f.request, kNow);
  EXPECT_EQ(page.status, 403);
  EXPECT_NE(page.body.find("403 Forbidden"), std::string::npos);
  EXPECT_NE(page.body.find("http-method-ok"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("req-&lt;1&gt;"), std::string::npos) << "request id escaped";
  EXPECT_EQ(page.body.find("req-<1>"), std::string::npos);
}

TEST(Authorizer, SignedInRequestGetsIdentityHeaders) {
  Fixture f;
  std::string token = f.handle();
  std::string auth = "Pomerium " + token;
  auto result = f.check(0, "application/json", {{"Authorization", auth}, {"X-In", "v"}});
  ASSERT_TRUE(result.allowed);
  EXPECT_TRUE(result.signed_in);
  EXPECT_EQ(result.session_id, "sess-1");
  EXPECT_EQ(result.email, "ada@example.com");
  auto jwt = f.header("x-pomerium-jwt-assertion");
  auto verified = verify_with_jwks(jwt, f.authorizer->signer().jwks());
  ASSERT_TRUE(verified) << jwt;
  EXPECT_EQ(verified->claims["aud"], "app.example.com");
  EXPECT_EQ(verified->claims["sid"], "sess-1");
  EXPECT_EQ(verified->claims["email"], "ada@example.com");
  EXPECT_EQ(f.header("x-pomerium-claim-email"), "ada@example.com");
  EXPECT_EQ(f.header("X-Token"), "Bearer access-1");
  EXPECT_EQ(f.header("X-Jwt"), jwt);
  EXPECT_EQ(f.header("X-Literal"), "plain");

  // The same session again: the cached token.
  f.check(0, "application/json", {{"Authorization", auth}});
  EXPECT_EQ(f.header("x-pomerium-jwt-assertion"), jwt);
  EXPECT_EQ(f.authorizer->identity_cache(0).signatures(), 1u);
  EXPECT_EQ(f.authorizer->handle_cache(0).hits(), 1u);
}

TEST(Authorizer, IdentityHeadersOnlyWithPassIdentityHeaders) {
  Fixture f;
  std::string cookie = "_pomerium=" + f.handle();
  ASSERT_TRUE(f.check(1, "", {{"Cookie", cookie}}).allowed);
  EXPECT_EQ(f.header("x-pomerium-jwt-assertion"), "<absent>");
  EXPECT_EQ(f.header("x-pomerium-claim-email"), "<absent>");
  EXPECT_EQ(f.authorizer->identity_cache(0).signatures(), 0u) << "no JWT signed when unused";
}

TEST(Authorizer, HandlesThatDoNotSignIn) {
  struct Row {
    const char* name;
    std::string token;
  };
  Fixture base;
  std::string good = base.handle();
  const std::vector<Row> rows = {
      {"forged", good.substr(0, good.size() - 2) + "xx"},
      {"truncated", good.substr(0, good.size() / 2)},
      {"wrong secret",
       crypto::sign_hs256(std::string(32, 'q'), {{"jti", "sess-1"}, {"sub", "user-1"}})},
      {"unknown session", base.handle("sess-404")},
      {"someone else's session", base.handle("sess-1", "user-2")},
  };
  for (const auto& row : rows) {
    Fixture f;
    std::string cookie = "_pomerium=" + row.token;
    auto result = f.check(0, "application/json", {{"Cookie", cookie}});
    EXPECT_FALSE(result.signed_in) << row.name;
    EXPECT_EQ(result.status, 401) << row.name;
  }
}

TEST(Authorizer, ExpiredSessionIsNotSignedIn) {
  Fixture f;
  session::Session s;
  s.set_id("sess-1");
  s.set_user_id("user-1");
  s.mutable_expires_at()->set_seconds(1800000000 - 1);
  f.source->put(s);
  std::string cookie = "_pomerium=" + f.handle();
  EXPECT_EQ(f.check(0, "application/json", {{"Cookie", cookie}}).status, 401);

  // An expired access token without a refresh token ends the session too.
  s.mutable_expires_at()->set_seconds(1800000000 + 3600);
  s.mutable_oauth_token()->mutable_expires_at()->set_seconds(1800000000 - 1);
  f.source->put(s);
  EXPECT_EQ(f.check(0, "application/json", {{"Cookie", cookie}}).status, 401);
  s.mutable_oauth_token()->set_refresh_token("refresh");
  f.source->put(s);
  EXPECT_EQ(f.check(0, "application/json", {{"Cookie", cookie}}).status, 200);
}

TEST(Authorizer, ReusesAPrincipalOnlyWhileTheRecordsStandStill) {
  Fixture f;
  f.source->state().generation = 1;
  std::string cookie = "_pomerium=" + f.handle();
  ASSERT_TRUE(f.check(1, "application/json", {{"Cookie", cookie}}).allowed);
  auto reads = f.source->state().session_reads;
  auto again = f.check(1, "application/json", {{"Cookie", cookie}});
  EXPECT_TRUE(again.allowed);
  EXPECT_EQ(again.email, "ada@example.com");
  EXPECT_EQ(f.source->state().session_reads, reads) << "nothing changed: records not read again";

  // A changed user is seen by the very next request.
  user::User u;
  u.set_id("user-1");
  u.set_email("eve@example.com");
  f.source->put(u);
  auto changed = f.check(1, "application/json", {{"Cookie", cookie}});
  EXPECT_EQ(changed.status, 403);
  EXPECT_EQ(changed.email, "eve@example.com");
  EXPECT_GT(f.source->state().session_reads, reads);

  // So is a deleted session.
  f.source->state().sessions.erase("sess-1");
  f.source->touch();
  auto deleted = f.check(1, "application/json", {{"Cookie", cookie}});
  EXPECT_FALSE(deleted.signed_in);
  EXPECT_EQ(deleted.status, 401);
}

TEST(Authorizer, AReusedPrincipalStillChecksHandleAndExpiry) {
  Fixture f;
  f.source->state().generation = 1;
  std::string cookie = "_pomerium=" + f.handle();
  ASSERT_TRUE(f.check(0, "application/json", {{"Cookie", cookie}}).allowed);

  // Someone else's handle naming the same session.
  std::string other = "_pomerium=" + f.handle("sess-1", "user-2");
  auto result = f.check(0, "application/json", {{"Cookie", other}});
  EXPECT_FALSE(result.signed_in);
  EXPECT_EQ(result.status, 401);
  // A forged one.
  std::string forged = cookie.substr(0, cookie.size() - 2) + "xx";
  EXPECT_FALSE(f.check(0, "application/json", {{"Cookie", forged}}).signed_in);

  // The session expires (at kNow + 1h) with no record changing.
  ASSERT_TRUE(f.check(0, "application/json", {{"Cookie", cookie}}).allowed);
  auto later = kNow + std::chrono::hours(1);
  auto expired = f.authorizer->check(0, f.config->routes[0], f.request, f.upstream, later);
  EXPECT_FALSE(expired.signed_in);
  EXPECT_EQ(expired.status, 401);
}

TEST(Authorizer, RecordsAreReadAgainWithoutAGenerationOrAUser) {
  Fixture f;  // generation 0: unknown
  std::string cookie = "_pomerium=" + f.handle();
  ASSERT_TRUE(f.check(0, "application/json", {{"Cookie", cookie}}).allowed);
  auto reads = f.source->state().session_reads;
  ASSERT_TRUE(f.check(0, "application/json", {{"Cookie", cookie}}).allowed);
  EXPECT_EQ(f.source->state().session_reads, reads + 1);

  // A session whose user is missing may be waiting for its user (read-your-writes): not reused.
  f.source->state().generation = 1;
  f.source->state().users.clear();
  f.source->touch();
  ASSERT_TRUE(f.check(0, "application/json", {{"Cookie", cookie}}).signed_in);
  reads = f.source->state().session_reads;
  ASSERT_TRUE(f.check(0, "application/json", {{"Cookie", cookie}}).signed_in);
  EXPECT_EQ(f.source->state().session_reads, reads + 1);
}

TEST(Authorizer, OnlyPrincipalOnlyDecisionsAreKept) {
  Fixture f;
  f.source->state().generation = 1;
  std::string cookie = "_pomerium=" + f.handle();
  // ro.example.com allows everyone but denies POST; ip.example.com allows 10.0.0.0/8: both read
  // the request, so the same principal gets a new decision per request.
  EXPECT_EQ(f.check(2, "application/json", {{"Cookie", cookie}}, "GET").status, 200);
  EXPECT_EQ(f.check(2, "application/json", {{"Cookie", cookie}}, "POST").status, 403);
  EXPECT_EQ(f.check(2, "application/json", {{"Cookie", cookie}}, "GET").status, 200);
  EXPECT_EQ(f.check(3, "application/json", {{"Cookie", cookie}}, "GET", "10.1.2.3").status, 200);
  EXPECT_EQ(f.check(3, "application/json", {{"Cookie", cookie}}, "GET", "192.0.2.1").status, 403);
  EXPECT_EQ(f.check(3, "application/json", {{"Cookie", cookie}}, "GET", "10.1.2.3").status, 200);

  // mail.example.com (an email rule) reads only the principal: kept, on several routes at once,
  // and dropped with the principal when its user changes.
  EXPECT_EQ(f.check(1, "application/json", {{"Cookie", cookie}}).status, 200);
  EXPECT_EQ(f.check(0, "application/json", {{"Cookie", cookie}}).status, 200);
  EXPECT_EQ(f.check(1, "application/json", {{"Cookie", cookie}}).status, 200);
  EXPECT_EQ(f.check(1, "application/json").status, 401) << "anonymous: its own principal";
  user::User u;
  u.set_id("user-1");
  u.set_email("eve@example.com");
  f.source->put(u);
  EXPECT_EQ(f.check(1, "application/json", {{"Cookie", cookie}}).status, 403);
  u.set_email("ada@example.com");
  f.source->put(u);
  EXPECT_EQ(f.check(1, "application/json", {{"Cookie", cookie}}).status, 200);
}

TEST(Authorizer, UnsyncedReplicaWithHandleIs503) {
  Fixture f;
  f.source->state().ready = false;
  std::string cookie = "_pomerium=" + f.handle();
  auto result = f.check(0, "text/html", {{"Cookie", cookie}});
  EXPECT_EQ(result.status, 503);
  EXPECT_FALSE(result.allowed);
  auto reply = f.authorizer->deny_reply(result, f.request, kNow);
  EXPECT_EQ(reply.status, 503);
  // Without a handle the request is simply anonymous.
  EXPECT_EQ(f.check(0, "application/json").status, 401);
  // A forged handle does not reveal anything either.
  EXPECT_EQ(f.check(0, "application/json", {{"Cookie", "_pomerium=forged"}}).status, 401);
}

TEST(Authorizer, NoSessionSourceWithHandleIs503) {
  auto config = make_config();
  Authorizer authorizer(config, {}, 1);
  HeaderList upstream;
  std::string cookie =
      "_pomerium=" + crypto::sign_hs256(kSecret, {{"jti", "sess-1"}, {"sub", "user-1"}});
  std::vector<policy::HeaderView> headers = {{"Cookie", cookie}};
  CheckRequest request;
  request.method = "GET";
  request.host = "app.example.com";
  request.path = "/";
  request.headers = headers;
  EXPECT_EQ(authorizer.check(0, config->routes[0], request, upstream, kNow).status, 503);
}

TEST(Authorizer, HeaderSessionIsNotRedirected) {
  Fixture f;
  std::string auth = "Pomerium " + f.handle("sess-404");
  EXPECT_EQ(f.check(0, "text/html", {{"Authorization", auth}}).status, 401);
}

TEST(Authorizer, AnonymousAllowedRequestGetsAnonymousJwt) {
  auto config = std::make_shared<config::Config>(*make_config());
  config->routes[3].pass_identity_headers = true;
  Authorizer authorizer(config, {}, 1);
  HeaderList upstream;
  CheckRequest request;
  request.method = "GET";
  request.host = "ip.example.com:8443";
  request.path = "/";
  request.client_ip = "10.0.0.1";
  ASSERT_TRUE(authorizer.check(0, config->routes[3], request, upstream, kNow).allowed);
  ASSERT_EQ(upstream.items().front().name, "x-pomerium-jwt-assertion");
  auto verified = verify_with_jwks(upstream.items().front().value, authorizer.signer().jwks());
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->claims["aud"], "ip.example.com") << "host name without the port";
  EXPECT_EQ(verified->claims["sub"], "");
}

TEST(Authorizer, PublicRouteTemplates) {
  Fixture f;
  std::vector<policy::HeaderView> headers = {{"x-in", "client value"}};
  CheckRequest request;
  request.headers = headers;
  EXPECT_TRUE(f.authorizer->public_headers(f.config->routes[5], request, f.upstream));
  EXPECT_EQ(f.header("X-Echo"), "client value");
  EXPECT_FALSE(f.authorizer->public_headers(f.config->routes[4], request, f.upstream));
}

TEST(Authorizer, BadPolicyOrKeyFailsToBuild) {
  auto config = std::make_shared<config::Config>(*make_config());
  config->routes[1].policy_json = R"({"allow":{"or":[{"no_such_criterion":1}]}})";
  EXPECT_THROW(Authorizer(config, {}, 1), std::runtime_error);
  auto keyed = std::make_shared<config::Config>(*make_config());
  keyed->options.signing_key = "not a key";
  EXPECT_THROW(Authorizer(keyed, {}, 1), std::runtime_error);
}

TEST(Authorizer, DecisionLogLine) {
  Fixture f;
  auto result = f.check(2, "", {}, "POST");
  std::string line;
  f.authorizer->format_decision_log(line, result, f.config->routes[2], f.request);
  auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["message"], "authorize check");
  EXPECT_EQ(json["service"], "authorize");
  EXPECT_EQ(json["route_id"], "route-2");
  EXPECT_EQ(json["request_id"], "req-<1>");
  EXPECT_EQ(json["allow"], true);
  EXPECT_EQ(json["deny"], true);
  EXPECT_EQ(json["deny_why"], "http-method-ok");
  EXPECT_EQ(json["status"], 403);
}

TEST(WellKnown, Documents) {
  Fixture f;
  WellKnownRequest request;
  request.method = "GET";
  request.scheme = "https";
  request.host = "app.example.com:8443";
  request.path = "/.well-known/pomerium";
  auto doc = f.authorizer->well_known(request);
  ASSERT_TRUE(doc);
  auto json = nlohmann::json::parse(doc->body);
  EXPECT_EQ(json["issuer"], "https://app.example.com:8443/");
  EXPECT_EQ(json["authentication_callback_endpoint"], "https://authn.example.com/oauth2/callback");
  EXPECT_EQ(json["jwks_uri"], "https://app.example.com:8443/.well-known/pomerium/jwks.json");
  EXPECT_EQ(json["frontchannel_logout_uri"], "https://app.example.com:8443/.pomerium/sign_out");

  request.path = "/.well-known/pomerium/jwks.json";
  auto jwks = f.authorizer->well_known(request);
  ASSERT_TRUE(jwks);
  EXPECT_EQ(jwks->body, f.authorizer->signer().jwks());
  std::map<std::string, std::string> headers(jwks->headers.begin(), jwks->headers.end());
  EXPECT_EQ(headers["cache-control"], "max-age=60");
  EXPECT_EQ(headers["access-control-allow-origin"], "*");
  EXPECT_EQ(headers["etag"], f.authorizer->signer().jwks_etag());
  request.if_none_match = headers["etag"];
  EXPECT_EQ(f.authorizer->well_known(request)->status, 304);

  request.path = "/.well-known/other";
  EXPECT_FALSE(f.authorizer->well_known(request));
  request.path = "/.well-known/pomerium";
  request.method = "POST";
  EXPECT_EQ(f.authorizer->well_known(request)->status, 405);
}

TEST(SignInUrl, Query) {
  crypto::SignInUrlOptions options;
  options.idp_id = "idp-1";
  auto url = crypto::sign_in_url("https://authn.example.com/ignored/path?x=1",
                                 "https://a.example/p q", kSecret, kNow, options);
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->starts_with("https://authn.example.com/.pomerium/sign_in?pomerium_expiry="));
  EXPECT_NE(url->find("pomerium_idp_id=idp-1"), std::string::npos);
  EXPECT_NE(url->find("pomerium_redirect_uri=https%3A%2F%2Fa.example%2Fp+q"), std::string::npos);
  EXPECT_EQ(crypto::verify_signed_url(*url, kSecret, kNow), crypto::SignedUrlStatus::kValid);
  EXPECT_FALSE(crypto::sign_in_url("not a url", "https://a", kSecret, kNow));
}

TEST(AuthorizeErrorReply, EscapesEverything) {
  ErrorDetails details;
  details.status = 403;
  details.message = "<script>alert('x')</script>";
  details.request_id = "\"><img src=x>";
  details.reasons = {policy::Reason::kEmailUnauthorized};
  auto reply = error_reply(details);
  EXPECT_EQ(reply.body.find("<script>"), std::string::npos);
  EXPECT_EQ(reply.body.find("<img"), std::string::npos);
  EXPECT_NE(reply.body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(reply.body.find("the email address is not allowed"), std::string::npos);
  details.json = true;
  auto json = nlohmann::json::parse(error_reply(details).body);
  EXPECT_EQ(json["request_id"], "\"><img src=x>");
}

}  // namespace
}  // namespace portcullis::authorize
