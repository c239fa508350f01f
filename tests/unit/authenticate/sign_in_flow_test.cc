// The sign-in endpoints end to end (browser and programmatic), sign-out, the user pages, and a
// table of hostile inputs that must each get a 4xx and change nothing.

#include "authenticate/sign_in_flow.h"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "../identity/fake_authenticator.h"
#include "../identity/fake_clock.h"
#include "../identity/test_http_server.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/signed_url.h"
#include "databroker/local_client.h"
#include "identity/session_records.h"

namespace portcullis::authenticate {
namespace {

using testing::FakeAuthenticator;
using testing::FakeClock;
using testing::run_coroutine;

std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  for (auto param : boost::urls::parse_uri(url)->params()) out[param.key] = param.value;
  return out;
}

// Cookies as a browser keeps them (one jar for every host: names do not collide here).
struct Jar {
  std::map<std::string, std::string> cookies;
  void take(const Response& response) {
    for (const auto& line : response.set_cookies()) {
      auto eq = line.find('=');
      auto end = line.find(';');
      std::string name = line.substr(0, eq);
      std::string value = line.substr(eq + 1, end - eq - 1);
      if (line.find("Max-Age=0") != std::string::npos) {
        cookies.erase(name);
      } else {
        cookies[name] = value;
      }
    }
  }
  std::string header() const {
    std::string out;
    for (const auto& [name, value] : cookies) out += (out.empty() ? "" : "; ") + name + "=" + value;
    return out;
  }
};

Request request_for(const std::string& url, const Jar& jar, std::string method = "GET") {
  auto parsed = boost::urls::parse_uri(url);
  Request request;
  request.method = std::move(method);
  request.scheme = parsed->scheme();
  request.host = parsed->encoded_authority();
  request.path = parsed->encoded_path();
  request.query = parsed->encoded_query();
  request.cookie = jar.header();
  return request;
}

class SignInFlowTest : public ::testing::Test {
 protected:
  SignInFlowTest()
      : store_(databroker::make_memory_store({})),
        broker_(*store_),
        authenticator_(std::make_shared<FakeAuthenticator>()) {
    auto settings = std::make_shared<AuthenticateSettings>();
    settings->authenticate_url = "https://auth.test";
    settings->authenticate_host = "auth.test";
    settings->shared_secret = std::string(32, 's');
    settings->cookie_secret = std::string(32, 'c');
    settings->idp_id = "idp-1";
    settings_ = settings;
    authenticator_->now = clock_.now();
    flow_ = std::make_unique<SignInFlow>(
        SignInDependencies{settings_, &broker_, authenticator_, &clock_});
  }

  Response call(Request request) { return run_coroutine(flow_->handle(std::move(request))); }
  Response get(const std::string& url, Jar& jar) {
    auto response = call(request_for(url, jar));
    jar.take(response);
    return response;
  }
  std::uint64_t version() { return broker_.server_info()->latest_record_version; }

  // Browser sign-in up to the IdP: returns the state of the authorization redirect.
  std::string start(const std::string& target, Jar& jar) {
    auto response = get(make_sign_in_url(*settings_, target, clock_.now()), jar);
    EXPECT_EQ(response.status, 302);
    return query_of(*response.header("Location"))["state"];
  }
  Response idp_callback(const std::string& code, const std::string& state, Jar& jar) {
    boost::urls::url url("https://auth.test/oauth2/callback");
    url.params().append({"code", code});
    url.params().append({"state", state});
    return get(std::string(url.buffer()), jar);
  }

  FakeClock clock_;
  std::unique_ptr<databroker::RecordStore> store_;
  databroker::LocalDataBroker broker_;
  std::shared_ptr<FakeAuthenticator> authenticator_;
  std::shared_ptr<const AuthenticateSettings> settings_;
  std::unique_ptr<SignInFlow> flow_;
};

TEST_F(SignInFlowTest, BrowserSignInEndToEnd) {
  Jar jar;
  auto first = get(make_sign_in_url(*settings_, "https://app.test/page?x=1", clock_.now()), jar);
  ASSERT_EQ(first.status, 302);
  auto location = *first.header("Location");
  EXPECT_TRUE(location.starts_with("https://idp.test/authorize"));
  EXPECT_TRUE(jar.cookies.count("_pomerium_csrf"));
  auto state = query_of(location)["state"];
  auto nonce = query_of(location)["nonce"];
  for (const auto& line : first.set_cookies()) {
    EXPECT_NE(line.find("; Path=/"), std::string::npos);
    EXPECT_NE(line.find("; Secure"), std::string::npos);
    EXPECT_NE(line.find("; HttpOnly"), std::string::npos);
  }

  auto callback = idp_callback("code-1", state, jar);
  ASSERT_EQ(callback.status, 302) << callback.body;
  EXPECT_EQ(authenticator_->last_nonce, nonce);
  EXPECT_EQ(authenticator_->last_verifier.size(), 43u);  // the PKCE verifier came back
  EXPECT_EQ(authenticator_->last_redirect_uri, "https://auth.test/oauth2/callback");
  EXPECT_TRUE(jar.cookies.count("_pomerium_authenticate"));
  auto route_callback = *callback.header("Location");
  EXPECT_TRUE(route_callback.starts_with("https://app.test/.pomerium/callback/?"));
  EXPECT_EQ(crypto::verify_signed_url(route_callback, settings_->shared_secret, clock_.now()),
            crypto::SignedUrlStatus::kValid);

  auto done = get(route_callback, jar);
  ASSERT_EQ(done.status, 302) << done.body;
  EXPECT_EQ(*done.header("Location"), "https://app.test/page?x=1");
  ASSERT_TRUE(jar.cookies.count("_pomerium"));
  auto handle = decode_session_handle(jar.cookies["_pomerium"], settings_->shared_secret);
  ASSERT_TRUE(handle);
  EXPECT_EQ(handle->user_id, "alice");
  EXPECT_TRUE(handle->has_audience("app.test"));
  EXPECT_GT(handle->databroker_record_version, 0u);
  auto record = broker_.get(std::string(identity::kSessionRecordType), handle->session_id);
  ASSERT_TRUE(record.ok());
  session::Session session;
  record->data().UnpackTo(&session);
  EXPECT_EQ(session.oauth_token().refresh_token(), "refresh");
  EXPECT_EQ(session.idp_id(), "idp-1");
  EXPECT_EQ(identity::from_timestamp(session.expires_at()), clock_.now() + std::chrono::hours(14));
  EXPECT_TRUE(broker_.get(std::string(identity::kUserRecordType), "alice").ok());

  // The user page and JSON: who, never tokens.
  auto page = get("https://app.test/.pomerium/", jar);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Alice &lt;b&gt;"), std::string::npos);
  EXPECT_NE(page.body.find("alice@example.com"), std::string::npos);
  EXPECT_NE(page.body.find("admins, staff"), std::string::npos);
  EXPECT_NE(page.body.find("Sign out"), std::string::npos);
  auto json = get("https://app.test/.pomerium/user", jar);
  ASSERT_EQ(json.status, 200);
  auto claims = nlohmann::json::parse(json.body);
  EXPECT_EQ(claims["email"], "alice@example.com");
  EXPECT_EQ(claims["groups"], nlohmann::json({"admins", "staff"}));
  EXPECT_EQ(claims["sid"], handle->session_id);
  for (const auto* body : {&page.body, &json.body}) {
    EXPECT_EQ(body->find("access"), std::string::npos);
    EXPECT_EQ(body->find("refresh"), std::string::npos);
    EXPECT_EQ(body->find("header.payload"), std::string::npos);
  }

  // The same header forms work without the cookie.
  Request bearer = request_for("https://app.test/.pomerium/user", Jar{});
  bearer.authorization = "Pomerium " + jar.cookies["_pomerium"];
  EXPECT_EQ(call(bearer).status, 200);

  // A second route host: the authenticate cookie skips the provider.
  auto second = get(make_sign_in_url(*settings_, "https://other.test/", clock_.now()), jar);
  ASSERT_EQ(second.status, 302);
  EXPECT_TRUE(second.header("Location")->starts_with("https://other.test/.pomerium/callback/?"));
  EXPECT_EQ(get(*second.header("Location"), jar).status, 302);
}

TEST_F(SignInFlowTest, ParallelTabsAllSucceed) {
  Jar jar;
  std::vector<std::string> states;
  for (int i = 0; i < 3; ++i)
    states.push_back(start("https://app.test/tab" + std::to_string(i), jar));
  std::set<std::string> verifiers;
  for (int i = 2; i >= 0; --i) {
    auto response = idp_callback("code-" + std::to_string(i), states[i], jar);
    ASSERT_EQ(response.status, 302) << i << response.body;
    verifiers.insert(authenticator_->last_verifier);
    auto done = get(*response.header("Location"), jar);
    EXPECT_EQ(*done.header("Location"), "https://app.test/tab" + std::to_string(i));
  }
  EXPECT_EQ(verifiers.size(), 3u);
}

TEST_F(SignInFlowTest, HostileInputsChangeNothing) {
  Jar jar;
  auto state = start("https://app.test/", jar);
  Jar stranger;  // another browser: no CSRF cookie
  start("https://app.test/", stranger);

  auto signed_in = make_sign_in_url(*settings_, "https://app.test/", clock_.now());
  auto tampered_signature = signed_in;
  tampered_signature.back() = tampered_signature.back() == 'A' ? 'B' : 'A';
  auto signed_callback = [&](const std::string& redirect, const std::string& encrypted) {
    boost::urls::url url("https://app.test/.pomerium/callback/");
    url.params().append({"pomerium_redirect_uri", redirect});
    url.params().append({"pomerium_session_encrypted", encrypted});
    return *crypto::sign_url(url.buffer(), settings_->shared_secret, clock_.now());
  };
  SessionHandle handle;
  handle.session_id = "s";
  handle.audience = {"auth.test", "app.test"};
  auto jwt = encode_session_handle(handle, settings_->shared_secret);
  auto encrypted = crypto::base64_encode(crypto::aead_seal(settings_->shared_secret, jwt, ""),
                                         crypto::Base64::kUrl);
  auto hostile_sign_in = [&](const std::string& target) {
    return make_sign_in_url(*settings_, target, clock_.now());
  };
  auto callback_with = [](std::string query) {
    return "https://auth.test/oauth2/callback?" + query;
  };
  auto tampered_state = state;
  tampered_state[10] = tampered_state[10] == 'A' ? 'B' : 'A';

  struct Case {
    std::string name;
    std::string url;
    int status;
    const Jar* jar;
  };
  const std::vector<Case> cases = {
      {"unsigned sign-in",
       "https://auth.test/.pomerium/sign_in?pomerium_redirect_uri=https://app.test/", 400, &jar},
      {"tampered sign-in signature", tampered_signature, 400, &jar},
      {"sign-in to javascript:", hostile_sign_in("javascript:alert(1)"), 400, &jar},
      {"sign-in to //evil", hostile_sign_in("//evil.test/"), 400, &jar},
      {"sign-in with CRLF", hostile_sign_in("https://app.test/%0d%0aX:y"), 400, &jar},
      {"idp access_denied", callback_with("error=access_denied&state=" + state), 401, &jar},
      {"idp other error", callback_with("error=server_error"), 400, &jar},
      {"missing state", callback_with("code=x"), 400, &jar},
      {"state from another browser", callback_with("code=x&state=" + state), 400, &stranger},
      {"tampered state", callback_with("code=x&state=" + tampered_state), 400, &jar},
      {"missing code", callback_with("state=" + state), 400, &jar},
      {"unsigned route callback",
       "https://app.test/.pomerium/callback/?pomerium_redirect_uri=https://app.test/"
       "&pomerium_session_encrypted=" +
           encrypted,
       400, &jar},
      {"route callback to another host", signed_callback("https://evil.test/", encrypted), 400,
       &jar},
      {"route callback userinfo trick", signed_callback("https://app.test@evil.test/", encrypted),
       400, &jar},
      {"route callback forged session",
       signed_callback("https://app.test/",
                       crypto::base64_encode(std::string(80, 'x'), crypto::Base64::kUrl)),
       400, &jar},
      {"programmatic to a remote host",
       "https://app.test/.pomerium/api/v1/login?pomerium_redirect_uri=https://evil.test/cb", 400,
       &jar},
      {"programmatic without target", "https://app.test/.pomerium/api/v1/login", 400, &jar},
      {"tampered sign-out", "https://auth.test/.pomerium/sign_out?pomerium_signature=AAAA", 400,
       &jar},
  };
  for (const auto& c : cases) {
    auto before = version();
    auto response = call(request_for(c.url, *c.jar));
    EXPECT_EQ(response.status, c.status) << c.name << ": " << response.body;
    EXPECT_TRUE(response.set_cookies().empty()) << c.name;
    EXPECT_EQ(version(), before) << c.name;
  }

  // A session for app.test presented at other.test.
  boost::urls::url other("https://other.test/.pomerium/callback/");
  other.params().append({"pomerium_redirect_uri", "https://other.test/"});
  other.params().append({"pomerium_session_encrypted", encrypted});
  auto response = call(
      request_for(*crypto::sign_url(other.buffer(), settings_->shared_secret, clock_.now()), jar));
  EXPECT_EQ(response.status, 400);

  // Forged and truncated cookies are nobody.
  for (std::string cookie : {std::string("garbage"), jwt.substr(0, jwt.size() - 3),
                             encode_session_handle(handle, std::string(32, 'z'))}) {
    Jar forged;
    forged.cookies["_pomerium"] = cookie;
    EXPECT_EQ(call(request_for("https://app.test/.pomerium/", forged)).status, 401);
    EXPECT_EQ(call(request_for("https://app.test/.pomerium/user", forged)).status, 401);
  }

  // Replayed authorization code: the provider refuses, the user sees a 400.
  ASSERT_EQ(idp_callback("code-r", state, jar).status, 302);
  auto state2 = start("https://app.test/", jar);
  auto before = version();
  auto replay = call(request_for(callback_with("code=code-r&state=" + state2), jar));
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(version(), before);

  // Expired links and state.
  auto link = make_sign_in_url(*settings_, "https://app.test/", clock_.now());
  auto state3 = start("https://app.test/", jar);
  clock_.advance(std::chrono::minutes(7));
  EXPECT_EQ(call(request_for(link, jar)).status, 400);
  EXPECT_EQ(call(request_for(callback_with("code=y&state=" + state3), jar)).status, 400);
  EXPECT_EQ(version(), before);
}

TEST_F(SignInFlowTest, ProgrammaticLogin) {
  Jar jar;
  auto login =
      get("https://app.test/.pomerium/api/v1/login?pomerium_redirect_uri=http://localhost:8000/cb",
          jar);
  ASSERT_EQ(login.status, 200) << login.body;
  auto q = query_of(login.body);
  EXPECT_EQ(q["pomerium_programmatic"], "true");
  EXPECT_EQ(q["pomerium_callback_uri"], "https://app.test/.pomerium/callback/");
  auto idp = get(login.body, jar);
  ASSERT_EQ(idp.status, 302);
  auto callback = idp_callback("code-p", query_of(*idp.header("Location"))["state"], jar);
  ASSERT_EQ(callback.status, 302) << callback.body;
  EXPECT_TRUE(callback.header("Location")->starts_with("https://app.test/.pomerium/callback/?"));
  auto done = get(*callback.header("Location"), jar);
  ASSERT_EQ(done.status, 302) << done.body;
  auto final_url = *done.header("Location");
  EXPECT_TRUE(final_url.starts_with("http://localhost:8000/cb?pomerium_jwt="));
  auto jwt = query_of(final_url)["pomerium_jwt"];
  Request api = request_for("https://app.test/.pomerium/user", Jar{});
  api.authorization = "Pomerium " + jwt;
  EXPECT_EQ(call(api).status, 200);
}

TEST_F(SignInFlowTest, SignOut) {
  Jar jar;
  auto state = start("https://app.test/", jar);
  get(*idp_callback("code-s", state, jar).header("Location"), jar);
  auto handle = decode_session_handle(jar.cookies["_pomerium"], settings_->shared_secret);
  ASSERT_TRUE(handle);

  // An unsigned sign-out link only asks.
  auto ask = call(request_for("https://auth.test/.pomerium/sign_out", jar));
  EXPECT_EQ(ask.status, 200);
  EXPECT_TRUE(broker_.get(std::string(identity::kSessionRecordType), handle->session_id).ok());

  auto route = get("https://app.test/.pomerium/sign_out", jar);
  ASSERT_EQ(route.status, 302);
  EXPECT_FALSE(jar.cookies.count("_pomerium"));
  auto next = *route.header("Location");
  EXPECT_TRUE(next.starts_with("https://auth.test/.pomerium/sign_out?"));
  auto out = get(next, jar);
  ASSERT_EQ(out.status, 302);
  EXPECT_EQ(*out.header("Location"), "https://idp.test/logout");
  EXPECT_EQ(authenticator_->last_id_token_hint, "header.payload.signature");
  EXPECT_EQ(authenticator_->last_post_logout, "https://auth.test/.pomerium/signed_out");
  EXPECT_EQ(authenticator_->revocations, 1);
  EXPECT_FALSE(jar.cookies.count("_pomerium_authenticate"));
  EXPECT_FALSE(broker_.get(std::string(identity::kSessionRecordType), handle->session_id).ok());
  EXPECT_EQ(get("https://auth.test/.pomerium/signed_out", jar).status, 200);
}

}  // namespace
}  // namespace portcullis::authenticate
