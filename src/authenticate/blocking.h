#pragma once
// run_blocking: the one seam where handlers make blocking databroker calls. The call runs on a
// small dedicated thread pool (BlockingPool) and the awaiting coroutine resumes on its own
// executor afterwards, so that a PostgreSQL store or a remote databroker never stalls a proxy
// worker's event loop. Without a pool the call runs inline (the in-process memory store answers
// without waiting) and the coroutine resumes through a post.
//
// The callable stays in the awaiting coroutine's frame (an lvalue there, taken by reference):
// only a pointer to it travels through async_initiate, whose use_awaitable initiation is itself
// a coroutine taking its arguments by value. GCC 12 miscompiles coroutines that take a lambda
// with non-trivial captures by value (an earlier version corrupted the heap that way), so nothing
// but trivially copyable values may be passed through.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "http/asio.h"

namespace portcullis::authenticate {

// The threads blocking calls run on. Joins them on destruction (after the calls in flight).
class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads = 2) : pool_(threads) {}
  ~BlockingPool() { pool_.join(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }

 private:
  boost::asio::thread_pool pool_;
};

// Awaitable: runs `f()` on `pool` (inline when null) and completes with its result on the
// awaiting coroutine's executor. `f` must stay alive until then: keep it in the coroutine frame,
//   auto get = [&] { return broker.get(type, id); };
//   auto record = co_await run_blocking(pool, get);
template <class F, class Token = boost::asio::use_awaitable_t<http::Executor>>
auto run_blocking(BlockingPool* pool, F& f, Token&& token = {}) {
  using Result = std::invoke_result_t<F&>;
  static_assert(std::is_move_constructible_v<Result>);
  namespace asio = boost::asio;
  return asio::async_initiate<Token, void(Result)>(
      [pool](auto handler, F* call) {
        auto home = asio::get_associated_executor(handler);
        auto work = asio::make_work_guard(home);
        auto run = [handler = std::move(handler), call, work = std::move(work)]() mutable {
          Result result = (*call)();
          auto executor = work.get_executor();
          asio::post(executor,
                     [handler = std::move(handler), result = std::move(result),
                      work = std::move(work)]() mutable { std::move(handler)(std::move(result)); });
        };
        if (pool != nullptr) {
          asio::post(pool->executor(), std::move(run));
        } else {
          run();
        }
      },
      token, &f);
}

}  // namespace portcullis::authenticate
