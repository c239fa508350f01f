// One whole browser sign-in through Portcullis's own handlers, the identity provider left out (a
// fake authenticator answers at once): /.pomerium/sign_in (state, CSRF and PKCE cookies, the
// authorization redirect), /oauth2/callback (state and CSRF checks, session and user Put into an
// in-process memory databroker, the signed route callback URL) and the route host's
// /.pomerium/callback/ (signature check, handle decryption, the session cookie). Databroker calls
// hop to the blocking pool and back, as they do in the server.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "../../tests/unit/authenticate/sign_in_support.h"
#include "../../tests/unit/identity/fake_authenticator.h"
#include "authenticate/sign_in_flow.h"
#include "databroker/local_client.h"
#include "identity/clock.h"

namespace portcullis::authenticate {
namespace {

namespace asio = boost::asio;

struct Fixture {
  explicit Fixture(bool hop) : store(databroker::make_memory_store({})), broker(*store) {
    settings = testing::test_settings("authenticate.example.com");
    authenticator = std::make_shared<portcullis::testing::FakeAuthenticator>();
    flow = std::make_unique<SignInFlow>(
        SignInDependencies{settings, &broker, authenticator, &clock, hop ? &pool : nullptr});
  }

  http::awaitable<int> round_trip(int n) {
    std::string target = "https://app.example.com/page/" + std::to_string(n);
    std::string code = "code-" + std::to_string(n);
    Response done = co_await testing::sign_in_once(*flow, target, code, clock.now());
    co_return done.status;
  }

  identity::SystemClock clock;
  std::unique_ptr<databroker::RecordStore> store;
  databroker::LocalDataBroker broker;
  BlockingPool pool{2};
  std::shared_ptr<portcullis::testing::FakeAuthenticator> authenticator;
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
