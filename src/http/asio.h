#pragma once
// Short names for the Asio/Beast types used across the data plane.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace portcullis::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

// Everything on the data plane runs on io_context executors: naming the concrete type (instead
// of the type-erased any_io_executor) saves an erased copy on every asynchronous operation.
using Executor = asio::io_context::executor_type;

template <class T = void>
using awaitable = boost::asio::awaitable<T, Executor>;

// Completion token that reports errors as values: `auto [ec, n] = co_await op(..., kNoThrow);`.
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable_t<Executor>{});

using TcpSocket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using SteadyTimer =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;

// Data-plane streams are plain sockets: timeouts come from Deadline (http/deadline.h), not from
// per-operation timers.
using TcpStream = TcpSocket;
using TlsStream = ssl::stream<TcpSocket>;

}  // namespace portcullis::http
