// run_blocking's hop to the blocking pool and back, and many concurrent sign-ins through it from
// several event loops (run under ASan/UBSan: the hop must neither corrupt nor leak anything).

#include "authenticate/blocking.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <map>
#include <thread>

#include "../identity/fake_authenticator.h"
#include "../identity/fake_clock.h"
#include "authenticate/sign_in_flow.h"
#include "databroker/local_client.h"
#include "identity/session_records.h"

namespace portcullis::authenticate {
namespace {

namespace asio = boost::asio;
using testing::FakeAuthenticator;
using testing::FakeClock;

TEST(RunBlocking, RunsOnThePoolAndResumesOnTheCallersLoop) {
  BlockingPool pool(2);
  asio::io_context io;
  std::thread::id caller, callee, resumed;
  std::string result;
  asio::co_spawn(
      io,
      [&]() -> http::awaitable<void> {
        caller = std::this_thread::get_id();
        auto call = [&callee, text = std::string(100, 'x')] {
          callee = std::this_thread::get_id();
          return text + "!";
        };
        result = co_await run_blocking(&pool, call);
        resumed = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  EXPECT_EQ(result, std::string(100, 'x') + "!");
  EXPECT_NE(callee, caller);
  EXPECT_EQ(resumed, caller);
}

TEST(RunBlocking, InlineWithoutAPool) {
  asio::io_context io;
  int value = 0;
  asio::co_spawn(
      io,
      [&]() -> http::awaitable<void> {
        auto seven = [] { return 7; };
        value = co_await run_blocking(nullptr, seven);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(value, 7);
}

std::map<std::string, std::string> query_of(std::string_view url) {
  std::map<std::string, std::string> out;
  for (auto param : boost::urls::parse_uri(url)->params()) out[param.key] = param.value;
  return out;
}

Request request_for(std::string_view url, const std::string& cookie) {
  auto parsed = boost::urls::parse_uri(url);
  Request request;
  request.scheme = parsed->scheme();
  request.host = parsed->encoded_authority();
  request.path = parsed->encoded_path();
  request.query = parsed->encoded_query();
  request.cookie = cookie;
  return request;
}

// "name=value" pairs of a response's Set-Cookie headers, joined as a Cookie header would be.
std::string cookies_of(const Response& response, std::string cookie = {}) {
  for (const auto& line : response.set_cookies()) {
    if (line.find("Max-Age=0") != std::string::npos) continue;
    if (!cookie.empty()) cookie += "; ";
    cookie += line.substr(0, line.find(';'));
  }
  return cookie;
}

// One browser sign-in: sign-in URL, provider callback, route callback. True when it ends at the
// original URL with a session cookie. Requests are named locals moved into handle(): GCC 12
// mishandles a temporary materialised for a coroutine's by-value parameter inside co_await.
http::awaitable<bool> sign_in_once(const SignInFlow& flow, const AuthenticateSettings& settings,
                                   const identity::Clock& clock, int n) {
  std::string target = "https://app.test/page/" + std::to_string(n);
  Request first = request_for(make_sign_in_url(settings, target, clock.now()), "");
  Response start = co_await flow.handle(std::move(first));
  if (start.status != 302) co_return false;
  boost::urls::url callback("https://auth.test/oauth2/callback");
  callback.params().append({"code", "code-" + std::to_string(n)});
  callback.params().append({"state", query_of(*start.header("Location"))["state"]});
  Request second = request_for(callback.buffer(), cookies_of(start));
  Response stored = co_await flow.handle(std::move(second));
  if (stored.status != 302) co_return false;
  Request third = request_for(*stored.header("Location"), "");
  Response done = co_await flow.handle(std::move(third));
  co_return done.status == 302 &&
      done.header("Location") == target&& cookies_of(done).starts_with("_pomerium=");
}

TEST(RunBlocking, ConcurrentSignInsThroughThePool) {
  constexpr int kLoops = 4;
  constexpr int kPerLoop = 25;
  FakeClock clock;
  auto store = databroker::make_memory_store({});
  databroker::LocalDataBroker broker(*store);
  auto authenticator = std::make_shared<FakeAuthenticator>();
  authenticator->now = clock.now();
  auto settings = std::make_shared<AuthenticateSettings>();
  settings->authenticate_url = "https://auth.test";
  settings->authenticate_host = "auth.test";
  settings->shared_secret = std::string(32, 's');
  settings->cookie_secret = std::string(32, 'c');
  settings->idp_id = "idp-1";
  BlockingPool pool(2);
  SignInFlow flow(SignInDependencies{settings, &broker, authenticator, &clock, &pool});

  std::atomic<int> succeeded{0};
  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (int i = 0; i < kLoops; ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));
    for (int j = 0; j < kPerLoop; ++j) {
      asio::co_spawn(
          *loops.back(),
          [&, n = i * kPerLoop + j]() -> http::awaitable<void> {
            if (co_await sign_in_once(flow, *settings, clock, n)) ++succeeded;
          },
          asio::detached);
    }
  }
  std::vector<std::thread> threads;
  for (auto& loop : loops) threads.emplace_back([&loop] { loop->run(); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), kLoops * kPerLoop);
  // Every sign-in stored one session.
  auto latest = broker.sync_latest(std::string(identity::kSessionRecordType));
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->records.size(), static_cast<std::size_t>(kLoops * kPerLoop));
}

}  // namespace
}  // namespace portcullis::authenticate
