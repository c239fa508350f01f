#pragma once
// Test support: a unit-level OpenID Connect provider served by TestHttpServer. It signs ID tokens
// with keys made by crypto::SigningKey, issues codes directly (issue_code stands in for the user
// signing in), and lets tests choose how the token endpoint behaves.

#include <boost/url/parse.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws.h"
#include "http/http_client.h"
#include "test_http_server.h"

namespace portcullis::testing {

class FakeIdp {
 public:
  struct Code {
    std::string nonce;
    std::string code_challenge;
    bool used = false;
  };

  FakeIdp()
      : key_(generate_signing_key("EC")),
        server_([this](const TestRequest& request) { return serve(request); }) {}

  std::string issuer() const { return server_.url(); }

  // Everything below is guarded by mutex_ (the server thread reads it).
  void set_key(crypto::SigningKey key) {
    std::lock_guard lock(mutex_);
    key_ = std::move(key);
  }
  void set_publish_key(bool publish) {
    std::lock_guard lock(mutex_);
    publish_key_ = publish;
  }
  void set_pkce(bool supported) {
    std::lock_guard lock(mutex_);
    pkce_ = supported;
  }
  void set_auth_methods(nlohmann::json methods) {
    std::lock_guard lock(mutex_);
    auth_methods_ = std::move(methods);
  }
  // Overrides of ID token claims (null removes a claim).
  void set_claim_override(const std::string& name, nlohmann::json value) {
    std::lock_guard lock(mutex_);
    overrides_[name] = std::move(value);
  }
  // The token endpoint's answer to refresh requests: 200, 400 (invalid_grant) or 503.
  void set_refresh_status(int status) {
    std::lock_guard lock(mutex_);
    refresh_status_ = status;
  }
  void set_userinfo(nlohmann::json claims) {
    std::lock_guard lock(mutex_);
    userinfo_ = std::move(claims);
  }
  std::string issue_code(const std::string& nonce, const std::string& code_challenge) {
    std::lock_guard lock(mutex_);
    std::string code = "code-" + std::to_string(++counter_);
    codes_[code] = {nonce, code_challenge, false};
    return code;
  }
  int count(const std::string& path) {
    std::lock_guard lock(mutex_);
    return hits_[path];
  }
  std::vector<std::string> revoked() {
    std::lock_guard lock(mutex_);
    return revoked_;
  }
  std::string last_authorization() {
    std::lock_guard lock(mutex_);
    return last_authorization_;
  }
  std::string last_token_body() {
    std::lock_guard lock(mutex_);
    return last_token_body_;
  }

  // An ID token as the provider would sign it now (for verification tables).
  std::string sign_id_token(const nlohmann::json& extra) {
    std::lock_guard lock(mutex_);
    return id_token_locked("alice", "", extra);
  }

 private:
  std::string id_token_locked(const std::string& subject, const std::string& nonce,
                              const nlohmann::json& extra) {
    auto now = crypto::unix_seconds(std::chrono::system_clock::now());
    nlohmann::json claims = {{"iss", issuer()},   {"sub", subject},
                             {"aud", "client-1"}, {"iat", now},
                             {"exp", now + 300},  {"email", "alice@example.com"},
                             {"name", "Alice"},   {"groups", {"admins", "staff"}}};
    if (!nonce.empty()) claims["nonce"] = nonce;
    for (auto& [name, value] : overrides_.items()) {
      if (value.is_null()) {
        claims.erase(name);
      } else {
        claims[name] = value;
      }
    }
    for (auto& [name, value] : extra.items()) claims[name] = value;
    return key_.sign(claims);
  }

  static std::map<std::string, std::string> form(const std::string& body) {
    std::map<std::string, std::string> out;
    auto text = "http://x/?" + body;
    auto url = boost::urls::parse_uri(text);
    if (!url) return out;
    for (auto param : url->params()) out[param.key] = param.value;
    return out;
  }

  TestResponse token_response(const std::string& subject, const std::string& nonce) {
    nlohmann::json body = {{"access_token", "access-" + std::to_string(++counter_)},
                           {"token_type", "Bearer"},
                           {"expires_in", 3600},
                           {"refresh_token", "refresh-" + std::to_string(counter_)},
                           {"id_token", id_token_locked(subject, nonce, nlohmann::json::object())}};
    return {200, "application/json", body.dump()};
  }

  TestResponse serve(const TestRequest& request) {
    std::lock_guard lock(mutex_);
    std::string path = request.target.substr(0, request.target.find('?'));
    ++hits_[path];
    if (path == "/.well-known/openid-configuration") {
      nlohmann::json document = {
          {"issuer", issuer()},
          {"authorization_endpoint", issuer() + "/authorize"},
          {"token_endpoint", issuer() + "/token"},
          {"userinfo_endpoint", issuer() + "/userinfo"},
          {"jwks_uri", issuer() + "/jwks"},
          {"revocation_endpoint", issuer() + "/revoke"},
          {"end_session_endpoint", issuer() + "/session/end"},
          {"token_endpoint_auth_methods_supported", auth_methods_},
      };
      if (pkce_) document["code_challenge_methods_supported"] = {"S256"};
      return {200, "application/json", document.dump()};
    }
    if (path == "/jwks") {
      nlohmann::json keys = nlohmann::json::array();
      if (publish_key_) keys.push_back(key_.public_jwk());
      return {200, "application/json", nlohmann::json{{"keys", keys}}.dump()};
    }
    if (path == "/userinfo") {
      auto auth = request.headers.count("authorization") ? request.headers.at("authorization") : "";
      if (!auth.starts_with("Bearer access-")) return {401, "application/json", "{}"};
      return {200, "application/json", userinfo_.dump()};
    }
    if (path == "/revoke") {
      revoked_.push_back(form(request.body)["token"]);
      return {200, "application/json", ""};
    }
    if (path != "/token") return {404, "text/plain", "not found"};
    last_token_body_ = request.body;
    auto fields = form(request.body);
    bool basic =
        request.headers.count("authorization") &&
        request.headers.at("authorization") ==
            "Basic " + crypto::base64_encode("client-1:secret%2F1", crypto::Base64::kStandard);
    bool post = fields["client_id"] == "client-1" && fields["client_secret"] == "secret/1";
    bool basic_allowed =
        auth_methods_.empty() || std::find(auth_methods_.begin(), auth_methods_.end(),
                                           "client_secret_basic") != auth_methods_.end();
    if (!((basic && basic_allowed) || post)) {
      return {401, "application/json", R"({"error":"invalid_client"})"};
    }
    if (fields["grant_type"] == "authorization_code") {
      auto it = codes_.find(fields["code"]);
      if (it == codes_.end() || it->second.used) {
        return {400, "application/json", R"({"error":"invalid_grant"})"};
      }
      it->second.used = true;
      if (!it->second.code_challenge.empty() &&
          crypto::base64url_encode(crypto::sha256(fields["code_verifier"])) !=
              it->second.code_challenge) {
        return {400, "application/json", R"({"error":"invalid_grant","error_description":"PKCE"})"};
      }
      return token_response("alice", it->second.nonce);
    }
    if (fields["grant_type"] == "refresh_token") {
      if (refresh_status_ == 400) {
        return {400, "application/json", R"({"error":"invalid_grant"})"};
      }
      if (refresh_status_ != 200) return {refresh_status_, "text/plain", "down"};
      return token_response("alice", "");
    }
    return {400, "application/json", R"({"error":"unsupported_grant_type"})"};
  }

  std::mutex mutex_;
  crypto::SigningKey key_;
  bool publish_key_ = true;
  bool pkce_ = true;
  nlohmann::json auth_methods_ =
      nlohmann::json::array({"client_secret_basic", "client_secret_post"});
  nlohmann::json overrides_ = nlohmann::json::object();
  int refresh_status_ = 200;
  nlohmann::json userinfo_ = {
      {"sub", "alice"}, {"email", "alice@example.com"}, {"department", "research"}};
  std::map<std::string, Code> codes_;
  std::map<std::string, int> hits_;
  std::vector<std::string> revoked_;
  std::string last_authorization_;
  std::string last_token_body_;
  int counter_ = 0;
  TestHttpServer server_;  // last: stops before the state above goes away
};

}  // namespace portcullis::testing
