// The downstream side of the pipeline: accept (and TLS), read a request head, check it, route
// it, and either answer locally or hand it to forward_request. One coroutine per connection;
// requests on a connection are handled strictly in order (pipelining-safe).

#include <boost/beast/core/string.hpp>

#include "proxy/exchange.h"
#include "proxy/header_rules.h"
#include "proxy/read_message.h"
#include "proxy/request_target.h"
#include "proxy/sign_in_adapter.h"
#include "telemetry/log.h"

namespace portcullis::proxy {

using namespace portcullis::http;
using boost::beast::iequals;

namespace {

constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr std::size_t kLingerMaxBytes = 1 << 20;

std::string peer_address(const TcpSocket& socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// After answering a request whose body we did not read, keep reading (and discarding) for a
// moment so that closing does not reset the connection before the client has our answer.
template <class Stream>
awaitable<void> linger(Stream& stream, Deadline& deadline) {
  error_code ec;
  beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_send, ec);
  deadline.expires_after(kLingerTimeout);
  std::array<char, 16384> sink;
  std::size_t total = 0;
  while (total < kLingerMaxBytes) {
    auto [read_ec, n] =
        co_await beast::get_lowest_layer(stream).async_read_some(asio::buffer(sink), kNoThrow);
    if (read_ec) break;
    total += n;
  }
}

// Answers an error and decides whether the connection survives: it does only when the request
// was fully read.
template <class Stream>
awaitable<bool> reject(Exchange& ex, Stream& stream, RequestParser* parser, int status,
                       std::string_view detail) {
  bool keep = ex.keep_alive && parser != nullptr && parser->is_done();
  bool kept =
      co_await send_local(ex, stream, error_reply(status, detail, ex.request_id, ex.accept), keep);
  if (!keep) co_await linger(stream, *ex.client_deadline);
  co_return kept;
}

// Answers with a locally made reply; the connection survives only when the request was fully read.
template <class Stream>
awaitable<bool> answer(Exchange& ex, Stream& stream, RequestParser& parser,
                       const LocalReply& reply) {
  bool keep = ex.keep_alive && parser.is_done();
  bool kept = co_await send_local(ex, stream, reply, keep);
  if (!keep) co_await linger(stream, *ex.client_deadline);
  co_return kept;
}

// The request's header fields as views, for the authorize service.
void collect_header_views(const bhttp::fields& fields, std::vector<policy::HeaderView>& out) {
  out.clear();
  for (const auto& field : fields) out.push_back({field.name_string(), field.value()});
}

// Reads the rest of a request body of at most `limit` bytes; nullopt when it is longer or the
// connection fails.
template <class Stream>
awaitable<std::optional<std::string>> read_small_body(Stream& stream, beast::flat_buffer& buffer,
                                                      RequestParser& parser, std::size_t limit) {
  std::string body;
  std::string chunk(kReadChunk, '\0');
  while (!parser.is_done()) {
    auto& space = parser.get().body();
    space.data = chunk.data();
    space.size = chunk.size();
    space.more = true;
    if (auto ec = co_await read_body_some(stream, buffer, parser)) co_return std::nullopt;
    body.append(chunk.data(), chunk.size() - parser.get().body().size);
    if (body.size() > limit) co_return std::nullopt;
  }
  co_return body;
}

// The sign-in endpoints: the authenticate host's pages and /.pomerium/* on route hosts. Returns
// nullopt when the flow does not serve this request (it is then routed as usual).
template <class Stream>
awaitable<std::optional<bool>> serve_sign_in(Exchange& ex, Stream& stream,
                                             beast::flat_buffer& buffer, RequestParser& parser,
                                             const authenticate::SignInFlow& flow,
                                             std::string_view host, const RequestTarget& target) {
  auto& req = parser.get();
  auto request = make_sign_in_request(req, req.method_string(), ex.scheme, host, target.path,
                                      target.query, ex.client_ip);
  if (!flow.handles(request)) co_return std::nullopt;
  if (!parser.is_done()) {
    auto body = co_await read_small_body(stream, buffer, parser, kMaxSignInBody);
    if (!body) {
      ex.keep_alive = false;
      co_return co_await reject(ex, stream, nullptr, 413, "request body too large");
    }
    request.body = std::move(*body);
  }
  auto response = co_await flow.handle(std::move(request));
  co_return co_await answer(ex, stream, parser, to_local_reply(std::move(response)));
}

// set_request_headers of a public route, rendered when they use templates: true when
// buffers.upstream_headers holds them.
bool public_headers(Exchange& ex, RequestParser& parser, const config::Route& route) {
  auto& buffers = *ex.buffers;
  authorize::CheckRequest check;
  collect_header_views(parser.get(), buffers.header_views);
  check.headers = buffers.header_views;
  return ex.snapshot->authorizer().public_headers(route, check, buffers.upstream_headers);
}

// Answers with a small reply made here (built in this coroutine's frame, not the caller's).
template <class Stream>
awaitable<bool> answer_simple(Exchange& ex, Stream& stream, RequestParser& parser, int status,
                              std::string_view body, std::string_view location) {
  LocalReply reply;
  reply.status = status;
  reply.body = body;
  reply.location = location;
  co_return co_await answer(ex, stream, parser, reply);
}

// /.well-known/pomerium and its key set. nullopt: not one of those paths.
template <class Stream>
awaitable<std::optional<bool>> serve_well_known(Exchange& ex, Stream& stream, RequestParser& parser,
                                                std::string_view host, std::string_view path) {
  auto& req = parser.get();
  authorize::WellKnownRequest well_known;
  well_known.method = req.method_string();
  well_known.path = path;
  well_known.scheme = ex.scheme;
  well_known.host = host;
  well_known.if_none_match = req[bhttp::field::if_none_match];
  well_known.cors_preflight = req.method() == bhttp::verb::options &&
                              req.find(bhttp::field::origin) != req.end() &&
                              req.find(bhttp::field::access_control_request_method) != req.end();
  auto reply = ex.snapshot->authorizer().well_known(well_known);
  if (!reply) co_return std::nullopt;
  co_return co_await answer(ex, stream, parser, to_local_reply(std::move(*reply)));
}

// Authorization of a route that is not public. nullopt: allowed (ex.upstream_headers is set);
// otherwise the request was answered and the value says whether the connection survives.
template <class Stream>
awaitable<std::optional<bool>> authorize_request(Exchange& ex, Stream& stream,
                                                 RequestParser& parser, const config::Route& route,
                                                 std::string_view host, const RequestTarget& target,
                                                 std::string_view accept) {
  auto& req = parser.get();
  auto& buffers = *ex.buffers;
  const auto& authorizer = ex.snapshot->authorizer();
  authorize::CheckRequest check;
  check.method = req.method_string();
  check.scheme = route.from_scheme;
  check.host = host;
  check.path = target.path;
  check.query = target.query;
  check.client_ip = ex.client_ip;
  check.request_id = ex.request_id;
  check.accept = accept;
  collect_header_views(req, buffers.header_views);
  check.headers = buffers.header_views;
  auto now = std::chrono::system_clock::now();
  check.wait_for_replicas = true;
  const std::size_t worker = ex.worker.id();
  auto result = authorizer.check(worker, route, check, buffers.upstream_headers, now);
  if (result.replicas_behind) {
    // Right after sign-in the replicas may not hold the new session or user yet (see
    // authorize::kReplicaWaitLimit): pause, serving other connections meanwhile, and ask again.
    SteadyTimer pause(co_await asio::this_coro::executor);
    const auto give_up = std::chrono::steady_clock::now() + authorize::kReplicaWaitLimit;
    while (result.replicas_behind) {
      pause.expires_after(authorize::kReplicaRetryInterval);
      co_await pause.async_wait(kNoThrow);
      check.wait_for_replicas = std::chrono::steady_clock::now() < give_up;
      now = std::chrono::system_clock::now();
      result = authorizer.check(worker, route, check, buffers.upstream_headers, now);
    }
  }
  if (telemetry::log_enabled(telemetry::LogLevel::kInfo)) {
    std::string line;
    line.reserve(512);
    authorizer.format_decision_log(line, result, route, check);
    ex.worker.access_log(line);
  }
  if (!result.allowed) {
    co_return co_await answer(ex, stream, parser,
                              to_local_reply(authorizer.deny_reply(result, check, now)));
  }
  ex.upstream_headers = &buffers.upstream_headers;
  co_return std::nullopt;
}

// Reads and checks the request head and fills the exchange. Returns the status to answer with
// (and the detail of an error) when the request goes no further; 0 when it is routed. Plain
// function: what it computes lives in `buffers`, not in the request coroutine's frame.
struct HeadVerdict {
  int status = 0;
  std::string_view detail;
  bool request_read = false;  // the answer may keep the connection (the request was read whole)
};

HeadVerdict check_head(Exchange& ex, ConnectionState& buffers, RequestParser& parser,
                       const std::string& peer_ip) {
  const Snapshot& snap = *ex.snapshot;
  const auto& options = snap.options();
  auto& req = parser.get();
  const bool logging = telemetry::log_enabled(telemetry::LogLevel::kInfo);
  if (logging) ex.method = std::string(req.method_string());
  ex.version = req.version();
  ex.head = req.method() == bhttp::verb::head;
  ex.keep_alive = parser.keep_alive() && !ex.worker.draining();
  const RequestFacts& facts = buffers.facts = scan_request_headers(req);
  if (logging) ex.user_agent = std::string(facts.user_agent);
  // Only the choice between JSON and HTML error bodies is kept, not the header itself.
  ex.accept = prefers_json(facts.accept) ? "application/json" : "";
  if (is_acceptable_request_id(facts.request_id)) {
    ex.request_id = facts.request_id;
  } else {
    buffers.generated_id = make_request_id(ex.worker.rng());
    ex.request_id = std::string_view(buffers.generated_id.data(), buffers.generated_id.size());
  }
  ex.client_ip = client_address(req, peer_ip, options.xff_num_trusted_hops);
  if (logging) {
    ex.path = std::string(req.target());
    ex.authority = std::string(facts.host);
  }

  // Head checks: counts, framing ambiguity (request smuggling), header names.
  if (facts.count > options.max_headers_count) return {431, "too many headers"};
  if (facts.hosts > 1 || facts.content_lengths > 1 || facts.transfer_encodings > 1 ||
      (facts.transfer_encodings > 0 && facts.content_lengths > 0)) {
    return {400, "ambiguous request framing"};
  }
  // Only plain chunked framing is relayed: codings stacked on it are refused, not forwarded.
  if (facts.transfer_encodings > 0 && !iequals(trim_ows(facts.transfer_encoding), "chunked")) {
    return {501, "unsupported transfer encoding"};
  }
  for (auto it = req.begin(); facts.underscore && it != req.end();) {
    if (!has_underscore(it->name_string())) {
      ++it;
      continue;
    }
    if (options.headers_with_underscores_action == "ALLOW") {
      ++it;
    } else if (options.headers_with_underscores_action == "DROP_HEADER") {
      it = req.erase(it);
    } else {
      return {400, "header name with underscore", true};
    }
  }

  RequestTarget& target = buffers.target = parse_request_target(req.target(), snap.path_options());
  if (target.verdict == RequestTarget::Verdict::kReject) {
    return {400, "invalid request path", true};
  }
  buffers.host = !target.authority.empty() ? target.authority : facts.host;
  if (logging) {
    ex.authority = buffers.host;
    ex.path = target.path;
  }
  if (buffers.host.empty() && req.version() >= 11) return {400, "missing Host header", true};
  return {};
}

// The exchange of a request whose head could not be read: a fresh request id, logged; returns
// the status to answer with.
int unreadable_request(Exchange& ex, const error_code& ec, const std::string& peer_ip) {
  ex.buffers->generated_id = make_request_id(ex.worker.rng());
  ex.request_id =
      std::string_view(ex.buffers->generated_id.data(), ex.buffers->generated_id.size());
  ex.keep_alive = false;
  ex.method = "-";
  telemetry::log_debug("bad request", {{"error", ec.message()}, {"ip", peer_ip}});
  if (ec == bhttp::error::header_limit) return 431;
  return ex.client_deadline->timed_out(ec) ? 408 : 400;
}

// Where a redirect points: the normalised path (route null) or the route's redirect action.
void set_redirect_target(Exchange& ex, const config::Route* route) {
  auto& buffers = *ex.buffers;
  const auto& target = buffers.target;
  if (route == nullptr) {
    buffers.forward_target = target.path + target.query;
  } else {
    buffers.forward_target =
        redirect_location(*route, {ex.scheme, buffers.host, target.path, target.query});
  }
}

// The upstream request's target: the rewritten path and the query.
void set_forward_target(Exchange& ex, const config::Route& route) {
  auto& buffers = *ex.buffers;
  buffers.forward_target.assign(rewrite_path(route, buffers.target.path));
  buffers.forward_target.append(buffers.target.query);
}

template <class Stream>
awaitable<bool> handle_request(Worker& worker, Stream& stream, Deadline& deadline,
                               ConnectionState& buffers, beast::flat_buffer& buffer,
                               const std::string& peer_ip, bool tls) {
  Exchange& ex = buffers.exchange.emplace(worker, worker.snapshot());
  const Snapshot& snap = *ex.snapshot;
  ex.client_ip = peer_ip;
  ex.peer_ip = peer_ip;
  ex.scheme = tls ? "https" : "http";
  ex.client_deadline = &deadline;
  ex.buffers = &buffers;

  RequestParser& parser = buffers.request_parser.emplace();
  parser.header_limit(snap.options().max_request_headers_kb * 1024);
  parser.body_limit(boost::none);
  deadline.expires_after(snap.options().timeout_read);
  error_code ec;
  if (!parse_buffered_head(buffer, parser, ec)) ec = co_await read_head(stream, buffer, parser);
  if (ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        (ec == asio::error::operation_aborted && !deadline.fired()) ||
        ec == asio::error::connection_reset) {
      co_return false;
    }
    const int status = unreadable_request(ex, ec, peer_ip);
    co_await reject(ex, stream, nullptr, status, status == 400 ? "malformed request" : "");
    finish_exchange(ex);
    co_return false;
  }
  if (snap.options().timeout_write.count() > 0) {
    ex.stream_deadline = Deadline::coarse_now() + snap.options().timeout_write;
  }

  auto finish = [&](bool keep) {
    finish_exchange(ex);
    return keep;
  };
  if (auto verdict = check_head(ex, buffers, parser, peer_ip); verdict.status != 0) {
    co_return finish(co_await reject(ex, stream, verdict.request_read ? &parser : nullptr,
                                     verdict.status, verdict.detail));
  }
  const RequestTarget& target = buffers.target;
  const std::string_view host = buffers.host;

  // Built-in endpoints on every host.
  if (target.path == "/ping" || target.path == "/healthz") {
    co_return finish(co_await answer_simple(ex, stream, parser, 200, "OK", {}));
  }
  if (target.path.starts_with(authorize::kWellKnownPath)) {
    if (auto kept = co_await serve_well_known(ex, stream, parser, host, target.path)) {
      co_return finish(*kept);
    }
  }
  // Sign-in endpoints before routing: the authenticate host needs no route.
  if (const auto* flow = snap.sign_in();
      flow != nullptr &&
      (is_pomerium_path(target.path) || same_host(host, snap.authenticate_host()))) {
    if (auto kept = co_await serve_sign_in(ex, stream, buffer, parser, *flow, host, target)) {
      co_return finish(*kept);
    }
  }

  const config::Route* route = snap.routes().match(host, target.path);
  if (route == nullptr) {
    co_return finish(co_await reject(ex, stream, &parser, 404, "no route for this host and path"));
  }
  ex.route = &snap.runtime(*route);
  if (target.verdict == RequestTarget::Verdict::kRedirect) {
    set_redirect_target(ex, nullptr);
    co_return finish(co_await answer_simple(ex, stream, parser, 307, {}, buffers.forward_target));
  }

  // Authorization: every route but the public ones is decided here, before any action.
  if (authorize::Authorizer::evaluates(*route)) {
    if (auto kept = co_await authorize_request(ex, stream, parser, *route, host, target,
                                               buffers.facts.accept)) {
      co_return finish(*kept);
    }
  } else if (!route->set_request_headers.empty() && public_headers(ex, parser, *route)) {
    ex.upstream_headers = &buffers.upstream_headers;
  }

  if (route->response) {
    co_return finish(co_await answer_simple(ex, stream, parser, route->response->status,
                                            route->response->body, {}));
  }
  if (route->redirect) {
    set_redirect_target(ex, route);
    co_return finish(co_await answer_simple(ex, stream, parser, route->redirect->response_code, {},
                                            buffers.forward_target));
  }

  bool websocket = false;
  if (buffers.facts.upgrade.data() != nullptr && is_websocket_upgrade(buffers.facts.upgrade)) {
    if (!route->allow_websockets) {
      co_return finish(
          co_await reject(ex, stream, &parser, 403, "websockets are not allowed on this route"));
    }
    websocket = true;
  }

  set_forward_target(ex, *route);
  co_return finish(co_await forward_request(ex, stream, buffer, parser, buffers.forward_target,
                                            host, websocket));
}

template <class Stream>
awaitable<void> serve_stream(Worker& worker, Stream& stream, Deadline& deadline,
                             const std::string& peer_ip, bool tls, Worker::ConnectionEntry& entry) {
  beast::flat_buffer buffer;
  ConnectionState buffers;
  for (;;) {
    if (worker.draining() && buffer.size() == 0) break;
    if (buffer.size() == 0) {
      entry.idle = true;
      deadline.expires_after(worker.snapshot()->options().timeout_idle);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16384), kNoThrow);
      entry.idle = false;
      if (ec) co_return;
      buffer.commit(n);
    }
    entry.idle = false;
    if (!co_await handle_request(worker, stream, deadline, buffers, buffer, peer_ip, tls)) break;
  }
}

}  // namespace

void set_response_headers(bhttp::fields& fields, const std::vector<config::Header>& headers) {
  for (const auto& header : headers) fields.set(header.name, header.value);
}

void finish_exchange(Exchange& ex) {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ex.start).count();
  auto* metrics = ex.route ? ex.route->metrics : ex.worker.metrics().no_route();
  metrics->record(ex.status, seconds);
  if (!telemetry::log_enabled(telemetry::LogLevel::kInfo)) return;
  std::string line;
  line.reserve(512);
  telemetry::format_log_line(
      line, telemetry::LogLevel::kInfo, "http-request",
      {{"service", "proxy"},
       {"request_id", ex.request_id},
       {"method", ex.method},
       {"authority", ex.authority},
       {"path", ex.path},
       {"route_id", ex.route ? std::string_view(ex.route->route->id) : std::string_view()},
       {"status", ex.status},
       {"duration_ms", seconds * 1000.0},
       {"upstream_duration_ms", ex.upstream_ms},
       {"bytes_received", ex.bytes_received},
       {"bytes_sent", ex.bytes_sent},
       {"upstream", ex.upstream},
       {"ip", ex.client_ip},
       {"user_agent", ex.user_agent}});
  ex.worker.access_log(line);
}

awaitable<void> serve_connection(Worker& worker, TcpSocket socket, bool tls) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::string peer_ip = peer_address(socket);
  if (!tls) {
    Deadline deadline(worker.sweeper(), socket);
    auto entry = worker.connection_opened(&socket);
    co_await serve_stream(worker, socket, deadline, peer_ip, false, *entry);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    worker.connection_closed(entry);
    co_return;
  }
  // The context belongs to the snapshot: hold it for the connection's lifetime.
  auto snapshot = worker.snapshot();
  if (snapshot->tls() == nullptr) co_return;
  TlsStream stream(std::move(socket), snapshot->tls()->context());
  Deadline deadline(worker.sweeper(), stream.next_layer());
  auto entry = worker.connection_opened(&stream.next_layer());
  deadline.expires_after(kTlsHandshakeTimeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
  if (!ec) {
    co_await serve_stream(worker, stream, deadline, peer_ip, true, *entry);
    deadline.expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(kNoThrow);
  } else {
    telemetry::log_debug("TLS handshake failed", {{"error", ec.message()}, {"ip", peer_ip}});
  }
  stream.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  worker.connection_closed(entry);
}

}  // namespace portcullis::proxy
