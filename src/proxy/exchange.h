#pragma once
// Exchange: the state of one request/response on a downstream connection, and the helpers the
// pipeline uses to answer locally. Templates over the downstream stream type (plain TCP or TLS).

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "authorize/header_list.h"
#include "http/asio.h"
#include "http/deadline.h"
#include "proxy/header_rules.h"
#include "proxy/local_reply.h"
#include "proxy/request_target.h"
#include "proxy/response_parser.h"
#include "proxy/snapshot.h"
#include "proxy/worker.h"

namespace portcullis::proxy {

using RequestParser = http::bhttp::request_parser<http::bhttp::buffer_body>;

struct Exchange {
  Exchange(Worker& w, std::shared_ptr<const Snapshot> s) : worker(w), snapshot(std::move(s)) {}

  Worker& worker;
  std::shared_ptr<const Snapshot> snapshot;   // kept for the whole exchange
  http::Deadline* client_deadline = nullptr;  // the downstream connection's deadline
  // timeout_write bounds the whole exchange (Envoy's max_stream_duration); max() when unset.
  http::Deadline::Clock::time_point stream_deadline = http::Deadline::Clock::time_point::max();
  struct ConnectionState* buffers = nullptr;  // the downstream connection's reusable storage
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string_view request_id;  // the client's (a view into the request) or generated_id
  std::string client_ip;        // the client after trusted proxies (X-Forwarded-For)
  std::string peer_ip;          // the address of the TCP peer
  std::string_view scheme;
  std::string method;
  std::string authority;
  std::string path;
  std::string user_agent;
  std::string_view accept;  // "application/json" when the client prefers JSON errors, else ""
  const RouteRuntime* route = nullptr;
  // Headers authorize set for the upstream request (identity headers, rendered
  // set_request_headers); null: the route's set_request_headers apply as written.
  const authorize::HeaderList* upstream_headers = nullptr;
  int status = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::string_view upstream;  // the upstream authority, owned by the snapshot
  double upstream_ms = -1;
  unsigned version = 11;
  bool head = false;
  bool keep_alive = true;
};

// Per-connection storage reused by every exchange on the connection: heads, parsers and the
// exchange itself live here rather than in coroutine frames, so that the frames stay small enough
// for Asio's frame recycling and a request allocates almost nothing.
struct ConnectionState {
  std::string request_head;
  std::string response_head;
  std::string joined;  // a piece's buffers joined for one TLS record
  std::optional<RequestParser> request_parser;
  std::optional<UpstreamResponseParser> response_parser;
  std::vector<UpstreamResponseParser::Field> response_fields;  // storage of response_parser's
  std::optional<Exchange> exchange;
  RequestId generated_id{};    // storage of a generated request id
  RequestFacts facts;          // of the current request's headers
  RequestTarget target;        // the current request's target
  std::string_view host;       // the current request's host
  std::string forward_target;  // the upstream's target, or where a redirect points
  std::vector<policy::HeaderView> header_views;  // the request's headers, for authorize
  authorize::HeaderList upstream_headers;        // what authorize adds to the upstream request
};

// The stall bound for writing to the client.
inline std::chrono::milliseconds write_timeout(const config::Options& options) {
  return options.timeout_idle;
}

// Arms `deadline` for `timeout` from now (0: none), never past the exchange's bound.
inline void arm(const Exchange& ex, http::Deadline& deadline, std::chrono::milliseconds timeout) {
  auto at = timeout.count() > 0 ? http::Deadline::coarse_now() + timeout
                                : http::Deadline::Clock::time_point::max();
  deadline.expires_at(std::min(at, ex.stream_deadline));
}

void set_response_headers(http::bhttp::fields& fields, const std::vector<config::Header>& headers);

// Writes a locally made response. Returns whether the connection may be kept.
template <class Stream>
http::awaitable<bool> send_local(Exchange& ex, Stream& stream, const LocalReply& reply,
                                 bool keep_alive) {
  namespace bhttp = http::bhttp;
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status),
                                          ex.version >= 11 ? 11u : 10u};
  const auto& headers = ex.route ? ex.route->route->set_response_headers
                                 : ex.snapshot->options().set_response_headers;
  set_response_headers(res, headers);
  if (!reply.content_type.empty()) res.set(bhttp::field::content_type, reply.content_type);
  if (!reply.location.empty()) res.set(bhttp::field::location, reply.location);
  for (const auto& [name, value] : reply.headers) {
    // Set-Cookie repeats; every other header replaces the configured one of its name.
    if (http::beast::iequals(name, "set-cookie")) {
      res.insert(name, value);
    } else {
      res.set(name, value);
    }
  }
  res.body() = reply.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  ex.status = reply.status;
  arm(ex, *ex.client_deadline, write_timeout(ex.snapshot->options()));
  http::error_code ec;
  if (ex.head) {
    bhttp::response_serializer<bhttp::string_body> sr{res};
    std::tie(ec, std::ignore) = co_await bhttp::async_write_header(stream, sr, http::kNoThrow);
  } else {
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, res, http::kNoThrow);
    if (!ec) ex.bytes_sent += reply.body.size();
  }
  co_return !ec && keep_alive;
}

// Writes a small error page (error_reply). A coroutine of its own, so that the reply is built
// in its frame and not kept in the frames of the request coroutines that call it.
template <class Stream>
http::awaitable<bool> send_error(Exchange& ex, Stream& stream, int status, std::string_view detail,
                                 bool keep_alive) {
  co_return co_await send_local(ex, stream, error_reply(status, detail, ex.request_id, ex.accept),
                                keep_alive);
}

// Writes the access-log line and records metrics for a finished exchange.
void finish_exchange(Exchange& ex);

// Forwards the request to the route's upstream and relays the response (forward.cc).
// `websocket`: the request asks for a websocket and the route allows it.
template <class Client>
http::awaitable<bool> forward_request(Exchange& ex, Client& client,
                                      http::beast::flat_buffer& buffer, RequestParser& parser,
                                      std::string_view target, std::string_view original_host,
                                      bool websocket);

}  // namespace portcullis::proxy
