// run_blocking's hop to the blocking pool and back, and many concurrent sign-ins through it from
// several event loops (run under ASan/UBSan: the hop must neither corrupt nor leak anything).

#include "authenticate/blocking.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../identity/fake_authenticator.h"
#include "../identity/fake_clock.h"
#include "authenticate/sign_in_flow.h"
#include "databroker/local_client.h"
#include "identity/session_records.h"
#include "sign_in_support.h"

namespace portcullis::authenticate {
namespace {

namespace asio = boost::asio;
using portcullis::testing::FakeAuthenticator;
using portcullis::testing::FakeClock;

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

TEST(RunBlocking, ConcurrentSignInsThroughThePool) {
  constexpr int kLoops = 4;
  constexpr int kPerLoop = 25;
  FakeClock clock;
  auto store = databroker::make_memory_store({});
  databroker::LocalDataBroker broker(*store);
  auto authenticator = std::make_shared<FakeAuthenticator>();
  authenticator->now = clock.now();
  auto settings = testing::test_settings("auth.test");
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
            std::string target = "https://app.test/page/" + std::to_string(n);
            std::string code = "code-" + std::to_string(n);
            Response done = co_await testing::sign_in_once(flow, target, code, clock.now());
            if (done.status == 302 && done.header("Location") == target &&
                testing::cookies_of(done).starts_with("_pomerium=")) {
              ++succeeded;
            }
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
