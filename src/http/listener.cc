#include "http/listener.h"

#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <charconv>

namespace portcullis::http {

std::optional<tcp::endpoint> parse_listen_address(std::string_view address, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<tcp::endpoint> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return fail("expected host:port or :port");
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    return fail("invalid port \"" + std::string(port_text) + "\"");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  asio::ip::address ip;
  if (host.empty()) {
    ip = asio::ip::address_v6::any();
  } else if (host == "localhost") {
    ip = asio::ip::address_v4::loopback();
  } else {
    boost::system::error_code parse_error;
    ip = asio::ip::make_address(std::string(host), parse_error);
    if (parse_error) return fail("host must be an IP address: \"" + std::string(host) + "\"");
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

Acceptor open_acceptor(asio::io_context& io, const tcp::endpoint& endpoint, bool reuse_port) {
  Acceptor acceptor(io);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  if (endpoint.address().is_v6()) {
    // ":port" means every interface, IPv4 included.
    acceptor.set_option(asio::ip::v6_only(false));
  }
  if (reuse_port) {
    int one = 1;
    ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace portcullis::http
