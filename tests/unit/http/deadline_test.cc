#include "http/deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>

namespace portcullis::http {
namespace {

using namespace std::chrono_literals;
using TimePoint = Deadline::Clock::time_point;

// A connected loopback pair: `peer` writes what `local` reads.
struct SocketPair {
  SocketPair(asio::io_context& io, Acceptor& acceptor) : local(io), peer(io) {
    peer.connect(acceptor.local_endpoint());
    acceptor.accept(local);
  }
  TcpSocket local;
  TcpSocket peer;
};

// One async_read_some and its outcome.
struct PendingRead {
  void start(TcpSocket& socket) {
    ec.reset();
    socket.async_read_some(asio::buffer(bytes), [this](error_code e, std::size_t n) {
      ec = e;
      size = n;
    });
  }
  bool done() const { return ec.has_value(); }

  std::optional<error_code> ec;
  std::size_t size = 0;
  char bytes[16];
};

class DeadlineTest : public ::testing::Test {
 protected:
  std::unique_ptr<SocketPair> connect() { return std::make_unique<SocketPair>(io_, acceptor_); }

  // Runs handlers until `done` holds (or a generous limit passes); returns `done()`.
  bool run_until(const std::function<bool()>& done) {
    const auto limit = std::chrono::steady_clock::now() + 2s;
    io_.restart();
    while (!done() && std::chrono::steady_clock::now() < limit) io_.run_one_for(10ms);
    return done();
  }

  // Runs whatever is ready now, e.g. the completions a cancellation queued.
  void settle() {
    io_.restart();
    io_.poll();
  }

  // The read is still pending: a byte from the peer completes it successfully.
  void expect_untouched(PendingRead& read, SocketPair& pair) {
    settle();
    ASSERT_FALSE(read.done()) << read.ec->message();
    asio::write(pair.peer, asio::buffer("x", 1));
    ASSERT_TRUE(run_until([&] { return read.done(); }));
    EXPECT_FALSE(*read.ec) << read.ec->message();
    EXPECT_EQ(read.size, 1u);
  }

  void expect_cancelled(PendingRead& read, const Deadline& deadline) {
    ASSERT_TRUE(run_until([&] { return read.done(); }));
    EXPECT_EQ(*read.ec, asio::error::operation_aborted) << read.ec->message();
    EXPECT_TRUE(deadline.fired());
    EXPECT_TRUE(deadline.timed_out(*read.ec));
  }

  asio::io_context io_;
  Acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  DeadlineSweeper sweeper_{io_};
};

TEST_F(DeadlineTest, SweepCancelsAReadWhoseDeadlinePassed) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  const TimePoint now = Deadline::coarse_now();
  deadline.expires_at(now - 1ms);
  PendingRead read;
  read.start(pair->local);
  // Setting a deadline is only a store: nothing happens before a sweep.
  settle();
  EXPECT_FALSE(read.done());
  EXPECT_FALSE(deadline.fired());

  sweeper_.sweep(now);
  expect_cancelled(read, deadline);
}

TEST_F(DeadlineTest, FiresWhenTheSweepReachesTheDeadline) {
  const TimePoint t0 = Deadline::coarse_now();
  struct Case {
    std::optional<std::chrono::milliseconds> at;  // from t0; nullopt: expires_never
    std::chrono::milliseconds swept_at;           // from t0
    bool fires;
  };
  const std::vector<Case> cases = {
      {-1000ms, 0ms, true}, {-1ms, 0ms, true},          {0ms, 0ms, true},
      {1ms, 0ms, false},    {50ms, 49ms, false},        {50ms, 50ms, true},
      {3600s, 0ms, false},  {std::nullopt, 0ms, false}, {std::nullopt, 24h, false},
  };
  auto pair = connect();
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << (c.at ? c.at->count() : -999999) << "ms swept at "
                                      << c.swept_at.count() << "ms");
    Deadline deadline(sweeper_, pair->local);
    if (c.at) {
      deadline.expires_at(t0 + *c.at);
    } else {
      deadline.expires_never();
    }
    sweeper_.sweep(t0 + c.swept_at);
    EXPECT_EQ(deadline.fired(), c.fires);
  }
}

TEST_F(DeadlineTest, ExpiresAfter) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  deadline.expires_after(0ms);  // no deadline
  sweeper_.sweep(Deadline::coarse_now() + 24h);
  EXPECT_FALSE(deadline.fired());

  deadline.expires_after(10s);
  sweeper_.sweep(Deadline::coarse_now());
  EXPECT_FALSE(deadline.fired());
  sweeper_.sweep(Deadline::coarse_now() + 10s);
  EXPECT_TRUE(deadline.fired());
}

TEST_F(DeadlineTest, FutureDeadlineIsUntouchedBySweep) {
  auto expired_pair = connect();
  auto future_pair = connect();
  auto never_pair = connect();
  Deadline expired(sweeper_, expired_pair->local);
  Deadline future(sweeper_, future_pair->local);
  Deadline never(sweeper_, never_pair->local);
  const TimePoint now = Deadline::coarse_now();
  expired.expires_at(now - 1ms);
  future.expires_at(now + 1h);
  never.expires_never();
  PendingRead expired_read, future_read, never_read;
  expired_read.start(expired_pair->local);
  future_read.start(future_pair->local);
  never_read.start(never_pair->local);

  sweeper_.sweep(now);
  expect_cancelled(expired_read, expired);
  EXPECT_FALSE(future.fired());
  EXPECT_FALSE(never.fired());
  expect_untouched(future_read, *future_pair);
  expect_untouched(never_read, *never_pair);
}

TEST_F(DeadlineTest, ResettingTheDeadlineClearsFired) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  const TimePoint now = Deadline::coarse_now();
  const std::vector<std::function<void()>> resets = {
      [&] { deadline.expires_never(); },
      [&] { deadline.expires_at(now + 1h); },
      [&] { deadline.expires_after(1h); },
      [&] { deadline.expires_after(0ms); },
  };
  for (std::size_t i = 0; i < resets.size(); ++i) {
    SCOPED_TRACE(i);
    deadline.expires_at(now - 1ms);
    PendingRead read;
    read.start(pair->local);
    sweeper_.sweep(now);
    expect_cancelled(read, deadline);

    resets[i]();
    EXPECT_FALSE(deadline.fired());
    EXPECT_FALSE(deadline.timed_out(asio::error::operation_aborted));
    // A new read survives the next sweep.
    read.start(pair->local);
    sweeper_.sweep(now);
    EXPECT_FALSE(deadline.fired());
    expect_untouched(read, *pair);
  }
}

TEST_F(DeadlineTest, TimedOutOnlyForTheCancellation) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  EXPECT_FALSE(deadline.timed_out(asio::error::operation_aborted));  // not fired
  deadline.expires_at(Deadline::coarse_now() - 1ms);
  sweeper_.sweep(Deadline::coarse_now());
  ASSERT_TRUE(deadline.fired());
  EXPECT_TRUE(deadline.timed_out(asio::error::operation_aborted));
  EXPECT_FALSE(deadline.timed_out(error_code{}));
  EXPECT_FALSE(deadline.timed_out(asio::error::eof));
  EXPECT_FALSE(deadline.timed_out(asio::error::connection_reset));
}

TEST_F(DeadlineTest, OperationStartedAfterTheDeadlineIsCancelledOnTheNextSweep) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  const TimePoint now = Deadline::coarse_now();
  deadline.expires_at(now - 1ms);
  sweeper_.sweep(now);  // nothing pending yet
  EXPECT_TRUE(deadline.fired());

  PendingRead read;
  read.start(pair->local);
  settle();
  EXPECT_FALSE(read.done());  // the earlier sweep does not reach a later operation
  sweeper_.sweep(now + 100ms);
  expect_cancelled(read, deadline);

  // And again for the one after that, as long as the deadline stays passed.
  read.start(pair->local);
  sweeper_.sweep(now + 200ms);
  expect_cancelled(read, deadline);
}

TEST_F(DeadlineTest, RebindMovesTheRegistration) {
  auto old_pair = connect();
  auto new_pair = connect();
  Deadline deadline(sweeper_, old_pair->local);
  deadline.rebind(new_pair->local);
  EXPECT_EQ(sweeper_.size(), 1u);
  const TimePoint now = Deadline::coarse_now();
  deadline.expires_at(now - 1ms);
  PendingRead old_read, new_read;
  old_read.start(old_pair->local);
  new_read.start(new_pair->local);
  sweeper_.sweep(now);
  expect_cancelled(new_read, deadline);
  expect_untouched(old_read, *old_pair);
}

TEST_F(DeadlineTest, ExpireAllCancelsEverything) {
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<std::unique_ptr<Deadline>> deadlines;
  std::vector<PendingRead> reads(4);
  for (std::size_t i = 0; i < reads.size(); ++i) {
    pairs.push_back(connect());
    deadlines.push_back(std::make_unique<Deadline>(sweeper_, pairs[i]->local));
  }
  const TimePoint now = Deadline::coarse_now();
  deadlines[0]->expires_never();
  deadlines[1]->expires_at(now + 1h);
  deadlines[2]->expires_at(now - 1s);
  deadlines[3]->expires_after(0ms);
  for (std::size_t i = 0; i < reads.size(); ++i) reads[i].start(pairs[i]->local);

  sweeper_.expire_all();
  for (std::size_t i = 0; i < reads.size(); ++i) {
    SCOPED_TRACE(i);
    expect_cancelled(reads[i], *deadlines[i]);
  }

  // From then on every sweep cuts every operation, whatever the deadline says, including
  // those of sockets registered afterwards.
  auto late_pair = connect();
  Deadline late(sweeper_, late_pair->local);
  late.expires_never();
  deadlines[0]->expires_never();
  PendingRead again, late_read;
  again.start(pairs[0]->local);
  late_read.start(late_pair->local);
  sweeper_.sweep(now);
  expect_cancelled(again, *deadlines[0]);
  expect_cancelled(late_read, late);
}

TEST_F(DeadlineTest, RandomAddAndRemoveKeepsTheSweeperConsistent) {
  // Sockets need not be open for the bookkeeping: cancelling a closed socket is a no-op.
  std::vector<TcpSocket> sockets;
  for (int i = 0; i < 8; ++i) sockets.emplace_back(io_);
  struct Entry {
    std::unique_ptr<Deadline> deadline;
    TimePoint at;
  };
  std::vector<Entry> live;
  std::mt19937 rng(4242);
  const TimePoint t0 = Deadline::coarse_now();
  auto random_offset = [&] { return std::chrono::milliseconds(rng() % 1000); };
  int sweeps = 0;
  for (int step = 0; step < 20000; ++step) {
    const unsigned op = rng() % 16;
    if (op < 8 || live.empty()) {
      Entry e{std::make_unique<Deadline>(sweeper_, sockets[rng() % sockets.size()]),
              t0 + random_offset()};
      e.deadline->expires_at(e.at);
      live.push_back(std::move(e));
    } else if (op < 15) {
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(rng() % live.size()));
    } else {
      const TimePoint now = t0 + random_offset();
      sweeper_.sweep(now);
      ++sweeps;
      for (auto& e : live) {
        ASSERT_EQ(e.deadline->fired(), e.at <= now) << "step " << step;
        e.deadline->expires_at(e.at);  // clears fired for the next round
      }
    }
    ASSERT_EQ(sweeper_.size(), live.size()) << "step " << step;
  }
  EXPECT_GT(sweeps, 100);
  EXPECT_GT(live.size(), 0u);
  // Tear down in random order too.
  while (!live.empty()) {
    live.erase(live.begin() + static_cast<std::ptrdiff_t>(rng() % live.size()));
    ASSERT_EQ(sweeper_.size(), live.size());
  }
  sweeper_.sweep(t0 + 1h);  // touches nothing that was removed (ASan would tell)
}

TEST_F(DeadlineTest, RunSweepsUntilStopped) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  deadline.expires_after(1ms);
  bool finished = false;
  asio::co_spawn(io_, sweeper_.run(), [&](std::exception_ptr e) {
    EXPECT_FALSE(e);
    finished = true;
  });
  std::optional<error_code> read_ec;
  char byte;
  pair->local.async_read_some(asio::buffer(&byte, 1), [&](error_code ec, std::size_t) {
    read_ec = ec;
    sweeper_.stop();
  });
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return finished && read_ec.has_value(); }));
  EXPECT_EQ(*read_ec, asio::error::operation_aborted);
  EXPECT_TRUE(deadline.timed_out(*read_ec));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  // Nothing of the sweeper is left behind: the context runs dry.
  io_.restart();
  EXPECT_EQ(io_.poll(), 0u);
  EXPECT_TRUE(io_.stopped());
}

TEST_F(DeadlineTest, StopBeforeTheFirstTickSweepsNothing) {
  auto pair = connect();
  Deadline deadline(sweeper_, pair->local);
  deadline.expires_at(Deadline::coarse_now() - 1s);
  PendingRead read;
  read.start(pair->local);
  bool finished = false;
  asio::co_spawn(io_, sweeper_.run(), [&](std::exception_ptr e) {
    EXPECT_FALSE(e);
    finished = true;
  });
  settle();  // the loop is now waiting for its first tick
  EXPECT_FALSE(finished);
  sweeper_.stop();
  ASSERT_TRUE(run_until([&] { return finished; }));
  EXPECT_FALSE(deadline.fired());
  expect_untouched(read, *pair);
}

}  // namespace
}  // namespace portcullis::http
