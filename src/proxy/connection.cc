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

template <class Stream>
awaitable<bool> handle_request(Worker& worker, Stream& stream, Deadline& deadline,
                               ConnectionState& buffers, beast::flat_buffer& buffer,
                               const std::string& peer_ip, bool tls) {
  Exchange& ex = buffers.exchange.emplace(worker, worker.snapshot());
  const Snapshot& snap = *ex.snapshot;
  const auto& options = snap.options();
  ex.client_ip = peer_ip;
  ex.peer_ip = peer_ip;
  ex.scheme = tls ? "https" : "http";

  RequestParser& parser = buffers.request_parser.emplace();
  parser.header_limit(options.max_request_headers_kb * 1024);
  parser.body_limit(boost::none);
  ex.client_deadline = &deadline;
  ex.buffers = &buffers;
  deadline.expires_after(options.timeout_read);
  error_code ec;
  if (!parse_buffered_head(buffer, parser, ec)) ec = co_await read_head(stream, buffer, parser);
  if (ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        (ec == asio::error::operation_aborted && !deadline.fired()) ||
        ec == asio::error::connection_reset) {
      co_return false;
    }
    buffers.generated_id = make_request_id(worker.rng());
    ex.request_id = std::string_view(buffers.generated_id.data(), buffers.generated_id.size());
    ex.keep_alive = false;
    int status = 400;
    if (ec == bhttp::error::header_limit) status = 431;
    if (deadline.timed_out(ec)) status = 408;
    ex.method = "-";
    co_await reject(ex, stream, nullptr, status, status == 400 ? "malformed request" : "");
    telemetry::log_debug("bad request", {{"error", ec.message()}, {"ip", peer_ip}});
    finish_exchange(ex);
    co_return false;
  }

  if (options.timeout_write.count() > 0) {
    ex.stream_deadline = Deadline::coarse_now() + options.timeout_write;
  }
  auto& req = parser.get();
  const bool logging = telemetry::log_enabled(telemetry::LogLevel::kInfo);
  if (logging) ex.method = std::string(req.method_string());
  ex.version = req.version();
  ex.head = req.method() == bhttp::verb::head;
  ex.keep_alive = parser.keep_alive() && !worker.draining();
  const RequestFacts facts = scan_request_headers(req);
  if (logging) ex.user_agent = std::string(facts.user_agent);
  // Only the choice between JSON and HTML error bodies is kept, not the header itself.
  ex.accept = prefers_json(facts.accept) ? "application/json" : "";
  if (is_acceptable_request_id(facts.request_id)) {
    ex.request_id = facts.request_id;
  } else {
    buffers.generated_id = make_request_id(worker.rng());
    ex.request_id = std::string_view(buffers.generated_id.data(), buffers.generated_id.size());
  }
  ex.client_ip = client_address(req, peer_ip, options.xff_num_trusted_hops);
  if (logging) {
    ex.path = std::string(req.target());
    ex.authority = std::string(facts.host);
  }

  auto finish = [&](bool keep) {
    finish_exchange(ex);
    return keep;
  };

  // Head checks: counts, framing ambiguity (request smuggling), header names.
  if (facts.count > options.max_headers_count) {
    co_return finish(co_await reject(ex, stream, nullptr, 431, "too many headers"));
  }
  if (facts.hosts > 1 || facts.content_lengths > 1 || facts.transfer_encodings > 1 ||
      (facts.transfer_encodings > 0 && facts.content_lengths > 0)) {
    co_return finish(co_await reject(ex, stream, nullptr, 400, "ambiguous request framing"));
  }
  // Only plain chunked framing is relayed: codings stacked on it are refused, not forwarded.
  if (facts.transfer_encodings > 0 && !iequals(trim_ows(facts.transfer_encoding), "chunked")) {
    co_return finish(co_await reject(ex, stream, nullptr, 501, "unsupported transfer encoding"));
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
      co_return finish(co_await reject(ex, stream, &parser, 400, "header name with underscore"));
    }
  }

  auto target = parse_request_target(req.target(), snap.path_options());
  if (target.verdict == RequestTarget::Verdict::kReject) {
    co_return finish(co_await reject(ex, stream, &parser, 400, "invalid request path"));
  }
  std::string_view host = !target.authority.empty() ? target.authority : facts.host;
  if (logging) {
    ex.authority = host;
    ex.path = target.path;
  }
  if (host.empty() && req.version() >= 11) {
    co_return finish(co_await reject(ex, stream, &parser, 400, "missing Host header"));
  }

  // Built-in endpoints on every host.
  if (target.path == "/ping" || target.path == "/healthz") {
    LocalReply ok;
    ok.body = "OK";
    bool keep = ex.keep_alive && parser.is_done();
    bool kept = co_await send_local(ex, stream, ok, keep);
    if (!keep) co_await linger(stream, *ex.client_deadline);
    co_return finish(kept);
  }

  const auto& authorizer = snap.authorizer();
  if (target.path.starts_with(authorize::kWellKnownPath)) {
    authorize::WellKnownRequest well_known;
    well_known.method = req.method_string();
    well_known.path = target.path;
    well_known.scheme = ex.scheme;
    well_known.host = host;
    well_known.if_none_match = req[bhttp::field::if_none_match];
    well_known.cors_preflight = req.method() == bhttp::verb::options &&
                                req.find(bhttp::field::origin) != req.end() &&
                                req.find(bhttp::field::access_control_request_method) != req.end();
    if (auto reply = authorizer.well_known(well_known)) {
      co_return finish(co_await answer(ex, stream, parser, to_local_reply(std::move(*reply))));
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
    LocalReply redirect;
    redirect.status = 307;
    redirect.location = target.path + target.query;
    co_return finish(co_await send_local(ex, stream, redirect, ex.keep_alive && parser.is_done()));
  }

  // Authorization: every route but the public ones is decided here, before any action.
  authorize::CheckRequest check;
  check.method = req.method_string();
  check.scheme = route->from_scheme;
  check.host = host;
  check.path = target.path;
  check.query = target.query;
  check.client_ip = ex.client_ip;
  check.request_id = ex.request_id;
  if (authorize::Authorizer::evaluates(*route)) {
    check.accept = facts.accept;
    collect_header_views(req, buffers.header_views);
    check.headers = buffers.header_views;
    auto now = std::chrono::system_clock::now();
    check.wait_for_replicas = true;
    auto result = authorizer.check(worker.id(), *route, check, buffers.upstream_headers, now);
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
        result = authorizer.check(worker.id(), *route, check, buffers.upstream_headers, now);
      }
    }
    if (logging) {
      std::string line;
      line.reserve(512);
      authorizer.format_decision_log(line, result, *route, check);
      worker.access_log(line);
    }
    if (!result.allowed) {
      co_return finish(co_await answer(ex, stream, parser,
                                       to_local_reply(authorizer.deny_reply(result, check, now))));
    }
    ex.upstream_headers = &buffers.upstream_headers;
  } else if (!route->set_request_headers.empty()) {
    collect_header_views(req, buffers.header_views);
    check.headers = buffers.header_views;
    if (authorizer.public_headers(*route, check, buffers.upstream_headers)) {
      ex.upstream_headers = &buffers.upstream_headers;
    }
  }

  if (route->response) {
    LocalReply direct;
    direct.status = route->response->status;
    direct.body = route->response->body;
    bool keep = ex.keep_alive && parser.is_done();
    bool kept = co_await send_local(ex, stream, direct, keep);
    if (!keep) co_await linger(stream, *ex.client_deadline);
    co_return finish(kept);
  }
  if (route->redirect) {
    LocalReply redirect;
    redirect.status = route->redirect->response_code;
    redirect.location = redirect_location(*route, {ex.scheme, host, target.path, target.query});
    bool keep = ex.keep_alive && parser.is_done();
    bool kept = co_await send_local(ex, stream, redirect, keep);
    if (!keep) co_await linger(stream, *ex.client_deadline);
    co_return finish(kept);
  }

  bool websocket = false;
  if (facts.upgrade.data() != nullptr) {
    if (is_websocket_upgrade(facts.upgrade)) {
      if (!route->allow_websockets) {
        co_return finish(
            co_await reject(ex, stream, &parser, 403, "websockets are not allowed on this route"));
      }
      websocket = true;
    }
  }

  std::string forward_target = rewrite_path(*route, target.path) + target.query;
  bool keep = co_await forward_request(ex, stream, buffer, parser, forward_target, host, websocket);
  co_return finish(keep);
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
