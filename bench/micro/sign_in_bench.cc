// One whole browser sign-in through Portcullis's own handlers, the identity provider left out (a
// fake authenticator answers at once): /.pomerium/sign_in (state, CSRF and PKCE cookies, the
// authorization redirect), /oauth2/callback (state and CSRF checks, session and user Put into an
// in-process memory databroker, the signed route callback URL) and the route host's
// /.pomerium/callback/ (signature check, handle decryption, the session cookie). Databroker calls
// hop to the blocking pool and back, as they do in the server.
#include <benchmark/benchmark.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <memory>
#include <string>

#include "../../tests/unit/identity/fake_authenticator.h"
#include "authenticate/sign_in_flow.h"
#include "databroker/local_client.h"
#include "identity/clock.h"

namespace portcullis::authenticate {
namespace {

namespace asio = boost::asio;

Request request_for(std::string_view url, std::string cookie) {
  auto parsed = boost::urls::parse_uri(url);
  Request request;
  request.scheme = parsed->scheme();
  request.host = parsed->encoded_authority();
  request.path = parsed->encoded_path();
  request.query = parsed->encoded_query();
  request.cookie = std::move(cookie);
  return request;
}

std::string cookies_of(const Response& response) {
  std::string cookie;
  for (const auto& line : response.set_cookies()) {
    if (!cookie.empty()) cookie += "; ";
    cookie += line.substr(0, line.find(';'));
  }
  return cookie;
}

std::string param(std::string_view url, std::string_view name) {
  for (auto p : boost::urls::parse_uri(url)->params()) {
    if (p.key == name) return p.value;
  }
  return "";
}

struct Fixture {
  explicit Fixture(bool hop) : store(databroker::make_memory_store({})), broker(*store) {
    auto settings = std::make_shared<AuthenticateSettings>();
    settings->authenticate_url = "https://authenticate.example.com";
    settings->authenticate_host = "authenticate.example.com";
    settings->shared_secret = std::string(32, 's');
    settings->cookie_secret = std::string(32, 'c');
    settings->idp_id = "idp-1";
    this->settings = settings;
    authenticator = std::make_shared<testing::FakeAuthenticator>();
    flow = std::make_unique<SignInFlow>(
        SignInDependencies{settings, &broker, authenticator, &clock, hop ? &pool : nullptr});
  }

  // Requests are named locals moved into handle(): GCC 12 mishandles a temporary materialised for
  // a coroutine's by-value parameter inside co_await.
  http::awaitable<int> round_trip(int n) {
    std::string target = "https://app.example.com/page/" + std::to_string(n);
    Request first = request_for(make_sign_in_url(*settings, target, clock.now()), "");
    Response start = co_await flow->handle(std::move(first));
    boost::urls::url callback("https://authenticate.example.com/oauth2/callback");
    callback.params().append({"code", "code-" + std::to_string(n)});
    callback.params().append({"state", param(*start.header("Location"), "state")});
    Request second = request_for(callback.buffer(), cookies_of(start));
    Response stored = co_await flow->handle(std::move(second));
    Request third = request_for(*stored.header("Location"), "");
    Response done = co_await flow->handle(std::move(third));
    co_return done.status;
  }

  identity::SystemClock clock;
  std::unique_ptr<databroker::RecordStore> store;
  databroker::LocalDataBroker broker;
  BlockingPool pool{2};
  std::shared_ptr<testing::FakeAuthenticator> authenticator;
  std::shared_ptr<const AuthenticateSettings> settings;
  std::unique_ptr<SignInFlow> flow;
};

void run_round_trips(benchmark::State& state, bool hop) {
  Fixture f(hop);
  asio::io_context io(1);
  int n = 0;
  for (auto _ : state) {
    int status = 0;
    asio::co_spawn(
        io, [&]() -> http::awaitable<void> { status = co_await f.round_trip(n++); },
        asio::detached);
    io.run();
    io.restart();
    if (status != 302) state.SkipWithError("the sign-in did not end with the session cookie");
  }
  state.SetItemsProcessed(state.iterations());
}

// The three handlers of one sign-in, databroker calls on the blocking pool (as in the server).
void BM_SignInRoundTrip(benchmark::State& state) {
  run_round_trips(state, true);
}
BENCHMARK(BM_SignInRoundTrip)->Unit(benchmark::kMicrosecond);

// The same with the databroker called inline: what the pool hop itself costs.
void BM_SignInRoundTripInline(benchmark::State& state) {
  run_round_trips(state, false);
}
BENCHMARK(BM_SignInRoundTripInline)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace portcullis::authenticate
