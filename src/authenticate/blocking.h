#pragma once
// run_blocking: runs a blocking call (a databroker request) on a thread pool and resumes the
// awaiting coroutine on its own executor with the result, so proxy workers' event loops never
// block on the databroker.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <type_traits>

#include "http/asio.h"

namespace portcullis::authenticate {

// `f` must not throw (databroker calls report errors as values).
template <class F>
http::awaitable<std::invoke_result_t<F>> run_blocking(boost::asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  namespace asio = boost::asio;
  auto result = co_await asio::async_initiate<const asio::use_awaitable_t<http::Executor>&,
                                              void(std::optional<R>)>(
      [&pool, f = std::move(f)](auto handler) mutable {
        asio::post(pool, [f = std::move(f), handler = std::move(handler)]() mutable {
          std::optional<R> value;
          value.emplace(f());
          auto executor = asio::get_associated_executor(handler);
          asio::dispatch(executor,
                         [handler = std::move(handler), value = std::move(value)]() mutable {
                           std::move(handler)(std::move(value));
                         });
        });
      },
      asio::use_awaitable_t<http::Executor>{});
  co_return std::move(*result);
}

}  // namespace portcullis::authenticate
