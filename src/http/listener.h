#pragma once
// Listening sockets. Every worker opens its own acceptor on the same address with SO_REUSEPORT,
// so the kernel spreads connections and a connection never leaves the thread that accepted it.

#include <optional>
#include <string>
#include <string_view>

#include "http/asio.h"

namespace portcullis::http {

// Parses "host:port", ":port" or "[v6]:port" into an endpoint; the host must be an IP literal,
// "localhost" or empty (all interfaces). nullopt with `error` set when malformed.
std::optional<tcp::endpoint> parse_listen_address(std::string_view address, std::string* error);

// Opens, binds and listens. Throws boost::system::system_error naming the address on failure.
Acceptor open_acceptor(asio::io_context& io, const tcp::endpoint& endpoint, bool reuse_port);

}  // namespace portcullis::http
