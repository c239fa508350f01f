#pragma once
// Test and benchmark support for the sign-in endpoints: requests from URLs, cookies from
// responses, settings for a test authenticate host, and one whole browser sign-in.

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "authenticate/sign_in_flow.h"

namespace portcullis::authenticate::testing {

inline Request request_for(std::string_view url, std::string cookie = {}) {
  auto parsed = boost::urls::parse_uri(url);
  Request request;
  request.scheme = parsed->scheme();
  request.host = parsed->encoded_authority();
  request.path = parsed->encoded_path();
  request.query = parsed->encoded_query();
  request.cookie = std::move(cookie);
  return request;
}

// "name=value" of a response's Set-Cookie headers (cleared ones left out), as a Cookie header.
inline std::string cookies_of(const Response& response) {
  std::string cookie;
  for (const auto& line : response.set_cookies()) {
    if (line.find("Max-Age=0") != std::string::npos) continue;
    if (!cookie.empty()) cookie += "; ";
    cookie += line.substr(0, line.find(';'));
  }
  return cookie;
}

inline std::string query_param(std::string_view url, std::string_view name) {
  for (auto param : boost::urls::parse_uri(url)->params()) {
    if (param.key == name) return param.value;
  }
  return "";
}

// Settings of the authenticate host https://<host> with fixed secrets and idp_id "idp-1".
inline std::shared_ptr<const AuthenticateSettings> test_settings(std::string host) {
  auto settings = std::make_shared<AuthenticateSettings>();
  settings->authenticate_url = "https://" + host;
  settings->authenticate_host = std::move(host);
  settings->shared_secret = std::string(32, 's');
  settings->cookie_secret = std::string(32, 'c');
  settings->idp_id = "idp-1";
  return settings;
}

// One browser sign-in to `target` with a provider that answers at once: the signed sign-in URL,
// the provider's callback with `code`, and the route host's callback. Returns the last response
// (302 to `target` with the session cookie when everything worked). `target` and `code` must
// outlive the call (pass named locals). Requests are named locals moved into handle(): GCC 12
// mishandles a temporary materialised for a coroutine's by-value parameter inside co_await.
inline http::awaitable<Response> sign_in_once(const SignInFlow& flow, const std::string& target,
                                              const std::string& code, identity::TimePoint now) {
  const auto& settings = flow.settings();
  Request first = request_for(make_sign_in_url(settings, target, now));
  Response start = co_await flow.handle(std::move(first));
  if (start.status != 302) co_return start;
  boost::urls::url callback(settings.authenticate_url + "/oauth2/callback");
  callback.params().append({"code", code});
  callback.params().append({"state", query_param(*start.header("Location"), "state")});
  Request second = request_for(callback.buffer(), cookies_of(start));
  Response stored = co_await flow.handle(std::move(second));
  if (stored.status != 302) co_return stored;
  Request third = request_for(*stored.header("Location"));
  co_return co_await flow.handle(std::move(third));
}

}  // namespace portcullis::authenticate::testing
