#pragma once
// Request and response header rules of the data plane (DESIGN.md §7): what is stripped before
// the upstream, the X-Forwarded-* headers, request ids and hop-by-hop headers. Pure functions over
// Beast header containers, so they are unit-tested without sockets.

#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace portcullis::proxy {

using Fields = boost::beast::http::fields;

// Removes the session cookie `cookie_name` from every Cookie header (other cookies stay; a header
// left empty is removed), `Authorization: Pomerium ...` / `Bearer Pomerium-...`, and every
// client-sent `X-Pomerium-*` header.
void strip_identity_headers(Fields& fields, std::string_view cookie_name);

// Removes hop-by-hop headers (Connection and what it names, Keep-Alive, Proxy-Connection, TE,
// Upgrade unless `keep_upgrade`). Transfer-Encoding is left to the message framing.
void strip_hop_by_hop(Fields& fields, bool keep_upgrade);

struct ForwardedInfo {
  std::string_view client_ip;      // the peer's address
  std::string_view scheme;         // "http" or "https" of the listener
  std::string_view original_host;  // Host as the client sent it
  std::uint32_t trusted_hops = 0;  // xff_num_trusted_hops
};

// Sets X-Forwarded-For / -Proto / -Host. With no trusted hops client-sent values are replaced;
// otherwise the client's X-Forwarded-For is kept and the peer appended, and a client-sent
// X-Forwarded-Proto is kept.
void set_forwarded_headers(Fields& fields, const ForwardedInfo& info);

// The address the request comes from after `trusted_hops` proxies in front of us appended to
// X-Forwarded-For: with 0 hops the peer itself.
std::string client_address(const Fields& fields, std::string_view peer, std::uint32_t trusted_hops);

// A client-sent X-Request-Id is kept when it is 1-128 characters of [A-Za-z0-9._-]; otherwise a
// random UUIDv4 is generated.
bool is_acceptable_request_id(std::string_view id);
std::string make_request_id(std::mt19937_64& rng);

// A field value without the optional whitespace (spaces, tabs) around it.
std::string_view trim_ows(std::string_view s);

// True when the Upgrade header asks for a websocket.
bool is_websocket_upgrade(const Fields& fields);

}  // namespace portcullis::proxy
