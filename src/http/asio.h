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

template <class T = void>
using awaitable = boost::asio::awaitable<T>;

// Completion token that reports errors as values: `auto [ec, n] = co_await op(..., kNoThrow);`.
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Data-plane streams are plain sockets: timeouts come from Deadline (http/deadline.h), not from
// per-operation timers.
using TcpStream = tcp::socket;
using TlsStream = ssl::stream<tcp::socket>;

}  // namespace portcullis::http
