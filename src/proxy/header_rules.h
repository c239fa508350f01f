#pragma once
// Request and response header rules of the data plane (DESIGN.md §7): what is stripped before
// the upstream, the X-Forwarded-* headers, request ids and hop-by-hop headers, and the heads the
// proxy writes. Pure functions over Beast header containers, so they are unit-tested without
// sockets.

#include <array>
#include <boost/beast/http/message.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace portcullis::proxy {

using Fields = boost::beast::http::fields;
using RequestHead = boost::beast::http::request_header<>;
using ResponseHead = boost::beast::http::response_header<>;

// The hop-by-hop headers of one message: Connection and every header it names (never Host,
// Content-Length or Transfer-Encoding), Keep-Alive, Proxy-Connection, TE, and Upgrade unless
// `keep_upgrade`. Transfer-Encoding is left to the message framing.
class HopByHop {
 public:
  // `fields`: Beast fields or any range of fields with name(), name_string() and value().
  template <class FieldRange>
  HopByHop(const FieldRange& fields, bool keep_upgrade) : keep_upgrade_(keep_upgrade) {
    for (const auto& field : fields) {
      if (field.name() == boost::beast::http::field::connection) add_named(field.value());
    }
  }
  template <class Field>
  bool drops(const Field& field) const {
    return drops(field.name(), field.name_string());
  }
  bool drops(boost::beast::http::field name, std::string_view name_string) const;

 private:
  void add_named(std::string_view connection);

  bool keep_upgrade_;
  std::vector<std::string_view> named_;  // views into the fields; allocated only when non-empty
};

struct ForwardedInfo {
  std::string_view client_ip;      // the peer's address
  std::string_view scheme;         // "http" or "https" of the listener
  std::string_view original_host;  // Host as the client sent it
  std::uint32_t trusted_hops = 0;  // xff_num_trusted_hops
};

// What the proxy sends upstream for one request. Written in a single pass over the client's parsed
// head, which stays unmodified, into a contiguous buffer (DESIGN.md §7):
// - the client's headers without hop-by-hop ones (Upgrade stays for a websocket), Expect, the
//   session cookie `cookie_name` (other cookies stay; a Cookie header left empty goes),
//   `Authorization: Pomerium ...` / `Bearer Pomerium-...`, every `X-Pomerium-*` header, the route's
//   `remove` names, the `claim_headers` names, and every name `set` replaces;
// - Host: `host`; then `set` in order;
// - X-Forwarded-For / -Proto / -Host: with no trusted hops the client's values are replaced;
//   otherwise the client's X-Forwarded-For is kept and the peer appended, and a client-sent (or
//   set) X-Forwarded-Proto / -Host is kept;
// - X-Request-Id: `request_id`; `Connection: upgrade` for a websocket.
// Host, X-Forwarded-For and X-Request-Id are the proxy's: `set` cannot replace them.
template <class Header>
struct UpstreamRequest {
  std::string_view target;  // rewritten path and query
  std::string_view host;    // the Host header to send
  std::string_view request_id;
  ForwardedInfo forwarded;
  std::string_view cookie_name = "_pomerium";
  bool websocket = false;
  std::span<const std::string> remove;                                // lower-case names
  const std::map<std::string, std::string>* claim_headers = nullptr;  // header -> claim
  std::span<const Header> set;  // anything with `name` and `value`
};

template <class Header>
void append_upstream_request_head(std::string& out, const RequestHead& request,
                                  const UpstreamRequest<Header>& upstream);

// What the proxy sends the client for an upstream's response head: the upstream's headers without
// hop-by-hop ones and without the names `set` replaces, then `set`, then the framing and connection
// headers the client connection needs.
struct DownstreamResponse {
  enum class Framing {
    kAsIs,     // the upstream's framing goes through
    kChunk,    // the upstream delimits the body by closing: chunk it for the client
    kUnchunk,  // an HTTP/1.0 client: drop chunked (the body is sent as it is and the close ends it)
  };
  unsigned version = 11;  // the client's: 10 or 11
  bool keep_alive = true;
  bool upgrade = false;  // a 101 to a websocket request: Upgrade goes through
  Framing framing = Framing::kAsIs;
  std::span<const config::Header> set;
  // `set` as append_response_set_lines writes it, made once per route; null: written here.
  const std::string* set_lines = nullptr;
};

// The lines of a response's set headers (set_response_headers) that may be written: none that
// would change the framing, none whose value would break the head.
void append_response_set_lines(std::string& out, std::span<const config::Header> set);

// `Head`: UpstreamResponseParser (the relay) or a Beast ResponseHead.
template <class Head>
void append_downstream_response_head(std::string& out, const Head& response,
                                     const DownstreamResponse& downstream);

// The address the request comes from after `trusted_hops` proxies in front of us appended to
// X-Forwarded-For: with 0 hops the peer itself.
std::string client_address(const Fields& fields, std::string_view peer, std::uint32_t trusted_hops);

// A client-sent X-Request-Id is kept when it is 1-128 characters of [A-Za-z0-9._-]; otherwise a
// random UUIDv4 is generated.
bool is_acceptable_request_id(std::string_view id);
using RequestId = std::array<char, 36>;
RequestId make_request_id(std::mt19937_64& rng);

// What the proxy needs to know of a request's headers, gathered in one pass over them instead of
// a lookup per name. The views point into the fields.
struct RequestFacts {
  std::size_t count = 0;  // header fields
  std::size_t hosts = 0;
  std::size_t content_lengths = 0;
  std::size_t transfer_encodings = 0;
  std::string_view host;               // the first Host
  std::string_view transfer_encoding;  // the first Transfer-Encoding
  std::string_view accept;
  std::string_view request_id;  // the first X-Request-Id
  std::string_view upgrade;     // the first Upgrade
  std::string_view user_agent;
  bool underscore = false;  // a header name with an underscore
};
RequestFacts scan_request_headers(const Fields& fields);

// A field value without the optional whitespace (spaces, tabs) around it.
std::string_view trim_ows(std::string_view s);

// True when an Upgrade header value asks for a websocket.
bool is_websocket_upgrade(std::string_view upgrade);

}  // namespace portcullis::proxy
