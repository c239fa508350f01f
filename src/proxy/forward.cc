// The upstream side of the pipeline: rewrite the request head, pick and connect an upstream,
// stream the request body up and the response down without buffering whole bodies, and tunnel
// websocket upgrades both ways.

#include <boost/beast/core/string.hpp>

#include "proxy/exchange.h"
#include "proxy/header_rules.h"
#include "proxy/read_message.h"
#include "proxy/wire.h"
#include "telemetry/log.h"

namespace portcullis::proxy {

using namespace portcullis::http;
using boost::beast::iequals;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr std::uint32_t kMaxUpstreamHeaderBytes = 128 * 1024;

enum class Outcome {
  kDone,       // response relayed; ex.keep_alive says whether the client connection stays
  kRetryable,  // a reused upstream connection failed before anything was committed
  kClosed,     // the exchange failed and was answered or aborted; close the client connection
};

bool is_disconnect(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated;
}

// The upstream's share of the duration is only logged: no clock read when the log is off.
std::chrono::steady_clock::time_point log_clock() {
  return telemetry::log_enabled(telemetry::LogLevel::kInfo)
             ? std::chrono::steady_clock::now()
             : std::chrono::steady_clock::time_point();
}

// Out of line: the log call's temporaries would otherwise take room in the coroutine's frame.
void log_response_aborted(const Exchange& ex, const error_code& ec) {
  telemetry::log_warn("upstream response aborted",
                      {{"request_id", ex.request_id}, {"error", ec.message()}});
}

double millis_since(std::chrono::steady_clock::time_point t) {
  if (t == std::chrono::steady_clock::time_point()) return -1;
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Copies bytes between two streams until either side stops; used after a 101 response.
template <class From, class To>
awaitable<void> pump(From& from, Deadline& from_deadline, To& to, Deadline& to_deadline,
                     std::chrono::milliseconds idle, Worker& worker) {
  Worker::BufferLease buf(worker);
  for (;;) {
    from_deadline.expires_after(idle);
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf.data(), buf.size()), kNoThrow);
    if (ec) break;
    to_deadline.expires_after(idle);
    auto [write_ec, written] =
        co_await asio::async_write(to, asio::buffer(buf.data(), n), kNoThrow);
    if (write_ec) break;
  }
}

template <class Client, class Upstream>
awaitable<void> tunnel(Exchange& ex, Client& client, beast::flat_buffer& client_buffer,
                       Upstream& upstream, UpstreamConnection& connection,
                       std::chrono::milliseconds idle) {
  auto& client_deadline = *ex.client_deadline;
  auto& upstream_deadline = connection.deadline();
  // Bytes that arrived behind the heads belong to the tunnel.
  if (client_buffer.size() > 0) {
    upstream_deadline.expires_after(idle);
    auto [ec, n] = co_await asio::async_write(upstream, client_buffer.data(), kNoThrow);
    if (ec) co_return;
    client_buffer.consume(n);
  }
  auto& upstream_buffer = connection.buffer();
  if (upstream_buffer.size() > 0) {
    client_deadline.expires_after(idle);
    auto [ec, n] = co_await asio::async_write(client, upstream_buffer.data(), kNoThrow);
    if (ec) co_return;
    upstream_buffer.consume(n);
  }
  auto executor = co_await asio::this_coro::executor;
  SteadyTimer latch(executor, SteadyTimer::time_point::max());
  bool down_done = false;
  auto close_both = [&] {
    error_code ignored;
    beast::get_lowest_layer(client).shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(upstream).shutdown(tcp::socket::shutdown_both, ignored);
  };
  asio::co_spawn(executor,
                 pump(upstream, upstream_deadline, client, client_deadline, idle, ex.worker),
                 [&](std::exception_ptr) {
                   down_done = true;
                   close_both();
                   latch.cancel();
                 });
  co_await pump(client, client_deadline, upstream, upstream_deadline, idle, ex.worker);
  close_both();
  if (!down_done) co_await latch.async_wait(kNoThrow);
}

template <class Client, class Upstream>
awaitable<Outcome> exchange(Exchange& ex, Client& client, beast::flat_buffer& client_buffer,
                            RequestParser& parser, bool expect_continue, Upstream& upstream,
                            UpstreamConnection& connection, bool websocket, bool& reusable) {
  const auto& options = ex.snapshot->options();
  const config::Route& route = *ex.route->route;
  auto& req = parser.get();
  auto& client_deadline = *ex.client_deadline;
  auto& upstream_deadline = connection.deadline();
  reusable = false;

  auto upstream_start = log_clock();
  if (expect_continue && !parser.is_done()) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    arm(ex, client_deadline, write_timeout(options));
    auto [ec, n] = co_await asio::async_write(client, asio::buffer(kContinue), kNoThrow);
    if (ec) co_return Outcome::kClosed;
  }

  // Request: head plus body, streamed piece by piece.
  std::string& scratch = ex.buffers->joined;
  bool body_started = false;
  {
    const std::string& head = ex.buffers->request_head;  // written by forward_request
    const bool chunked = parser.chunked();
    std::optional<Worker::BufferLease> buf;
    if (!parser.is_done()) buf.emplace(ex.worker);
    bool head_sent = false;
    OutgoingPiece piece;
    for (;;) {
      std::string_view data;
      if (!parser.is_done()) {
        req.body().data = buf->data();
        req.body().size = buf->size();
        arm(ex, client_deadline, options.timeout_read);
        auto ec = co_await read_body_some(client, client_buffer, parser);
        if (ec) {
          if (client_deadline.timed_out(ec)) {
            co_await send_error(ex, client, 408, "request body timed out", false);
          } else if (is_disconnect(ec) || ec == asio::error::operation_aborted) {
            ex.status = 499;  // the client went away mid-body
          } else {
            co_await send_error(ex, client, 400, "malformed request body", false);
          }
          co_return Outcome::kClosed;
        }
        data = std::string_view(buf->data(), buf->size() - req.body().size);
        ex.bytes_received += data.size();
        if (!data.empty()) body_started = true;
      }
      bool last = parser.is_done();
      piece.build(head_sent ? std::string_view() : std::string_view(head), data, chunked, last);
      if (!piece.empty()) {
        arm(ex, upstream_deadline, route.timeout);
        auto [ec, written] = co_await write_piece(upstream, piece, scratch);
        if (!ec && written < piece.size()) ec = co_await write_rest(upstream, piece, written);
        if (ec) {
          if (connection.reused() && !body_started) co_return Outcome::kRetryable;
          record_upstream_error(*ex.route->metrics, telemetry::UpstreamError::kProtocol);
          co_await send_error(ex, client, 502, "upstream connection failed", false);
          co_return Outcome::kClosed;
        }
        head_sent = true;
      }
      if (last) break;
    }
  }

  // Response head (skipping 1xx informational responses other than 101).
  auto& up_buffer = connection.buffer();
  auto& rp = ex.buffers->response_parser;
  for (;;) {
    rp.emplace(ex.buffers->response_fields);
    rp->limit_head(kMaxUpstreamHeaderBytes);
    rp->body_limit(boost::none);
    if (ex.head) rp->skip(true);
    arm(ex, upstream_deadline, route.timeout);
    // Usually the head comes in one read: awaited here, without read_head's coroutine.
    error_code ec;
    if (!parse_buffered_head(up_buffer, *rp, ec)) {
      auto [read_ec, n] =
          co_await upstream.async_read_some(up_buffer.prepare(kReadChunk), kNoThrow);
      ec = after_head_read(up_buffer, *rp, read_ec, n);
      if (ec == bhttp::error::need_more) ec = co_await read_head(upstream, up_buffer, *rp);
    }
    if (ec) {
      if (upstream_deadline.fired()) {
        record_upstream_error(*ex.route->metrics, telemetry::UpstreamError::kTimeout);
        co_await send_error(ex, client, 504, "upstream request timeout", false);
        co_return Outcome::kClosed;
      }
      if (is_disconnect(ec) && connection.reused() && !body_started) co_return Outcome::kRetryable;
      record_upstream_error(*ex.route->metrics, telemetry::UpstreamError::kProtocol);
      bool keep = ex.keep_alive && parser.is_done();
      bool kept = co_await send_error(ex, client, 502,
                                      is_disconnect(ec) ? "upstream closed the connection"
                                                        : "upstream sent an invalid response",
                                      keep);
      co_return kept ? Outcome::kDone : Outcome::kClosed;
    }
    auto status = rp->result_int();
    if (status >= 100 && status < 200 && status != 101) continue;
    break;
  }
  ex.upstream_ms = millis_since(upstream_start);
  auto& res = *rp;
  ex.status = static_cast<int>(res.result_int());

  DownstreamResponse downstream;
  downstream.version = ex.version >= 11 ? 11 : 10;
  downstream.set = route.set_response_headers;
  downstream.set_lines = &ex.route->response_set_lines;
  if (websocket && res.result() == bhttp::status::switching_protocols) {
    downstream.upgrade = true;
    std::string& head = ex.buffers->response_head;
    head.clear();
    append_downstream_response_head(head, res, downstream);
    arm(ex, client_deadline, write_timeout(options));
    auto [ec, n] = co_await asio::async_write(client, asio::buffer(head), kNoThrow);
    if (ec) co_return Outcome::kClosed;
    co_await tunnel(ex, client, client_buffer, upstream, connection, route.idle_timeout);
    co_return Outcome::kClosed;
  }

  bool upstream_keep = rp->keep_alive();
  bool body_expected = !ex.head && !(ex.status == 204 || ex.status == 304);
  bool client_keep = ex.keep_alive && !ex.worker.draining() && parser.is_done();
  bool chunked = rp->chunked();
  if (body_expected && !rp->content_length() && !chunked) {
    // Delimited by the upstream closing: re-frame for the client.
    upstream_keep = false;
    if (ex.version >= 11) {
      downstream.framing = DownstreamResponse::Framing::kChunk;
      chunked = true;
    } else {
      client_keep = false;
    }
  }
  if (ex.version < 11 && chunked) {
    downstream.framing = DownstreamResponse::Framing::kUnchunk;
    chunked = false;
    client_keep = false;
  }
  downstream.keep_alive = client_keep;
  ex.keep_alive = client_keep;
  chunked = chunked && body_expected;

  // Response body, streamed; the head goes out with the first body bytes.
  std::string& head = ex.buffers->response_head;
  head.clear();
  append_downstream_response_head(head, res, downstream);
  std::optional<Worker::BufferLease> buf;
  if (!rp->is_done()) buf.emplace(ex.worker);
  auto deadline = route.timeout.count() > 0 ? Deadline::coarse_now() + route.timeout
                                            : Deadline::Clock::time_point::max();
  bool head_sent = false;
  OutgoingPiece piece;
  for (;;) {
    std::string_view data;
    if (!rp->is_done()) {
      res.body().data = buf->data();
      res.body().size = buf->size();
      auto next = deadline;
      if (route.idle_timeout.count() > 0) {
        next = std::min(next, Deadline::coarse_now() + route.idle_timeout);
      }
      upstream_deadline.expires_at(std::min(next, ex.stream_deadline));
      error_code ec;
      if (!parse_buffered_body(up_buffer, *rp, buf->size(), ec)) {
        ec = co_await read_body_some(upstream, up_buffer, *rp);
      }
      if (ec) {
        // The head may already be out: all we can do is cut the client connection.
        record_upstream_error(*ex.route->metrics, upstream_deadline.fired()
                                                      ? telemetry::UpstreamError::kTimeout
                                                      : telemetry::UpstreamError::kProtocol);
        log_response_aborted(ex, ec);
        if (!head_sent) {
          co_await send_error(ex, client, upstream_deadline.fired() ? 504 : 502,
                              "upstream response aborted", false);
        }
        co_return Outcome::kClosed;
      }
      data = std::string_view(buf->data(), buf->size() - res.body().size);
    }
    bool last = rp->is_done();
    piece.build(head_sent ? std::string_view() : std::string_view(head), data, chunked, last);
    if (!piece.empty()) {
      ex.bytes_sent += data.size();
      arm(ex, client_deadline, write_timeout(options));
      auto [ec, written] = co_await write_piece(client, piece, scratch);
      if (!ec && written < piece.size()) ec = co_await write_rest(client, piece, written);
      if (ec) {
        ex.status = 499;  // the client went away
        co_return Outcome::kClosed;
      }
      head_sent = true;
    }
    if (last) break;
  }

  // Bytes after the response are an answer nobody asked for: were the connection reused, they
  // would be taken for the next request's response. Such a connection is closed.
  reusable = upstream_keep && rp->is_done() && !websocket && up_buffer.size() == 0;
  co_return client_keep ? Outcome::kDone : Outcome::kClosed;
}

// Picks the upstream and writes the upstream request head into the connection's buffer (once,
// for both attempts). Returns the upstream's index. A plain function: its locals stay out of the
// request coroutine's frame.
std::size_t prepare_upstream_request(Exchange& ex, RequestParser& parser, std::string_view target,
                                     std::string_view original_host, bool websocket) {
  const Snapshot& snap = *ex.snapshot;
  const auto& options = snap.options();
  const config::Route& route = *ex.route->route;
  std::size_t index = snap.pick_upstream(route, ex.worker.id(), ex.worker.rng());
  const auto& upstream = route.to[index];
  std::string_view host = original_host;
  if (route.host_rewrite) {
    host = *route.host_rewrite;
  } else if (!route.preserve_host_header) {
    host = upstream.authority;
  }
  std::string& head = ex.buffers->request_head;
  head.clear();
  auto write_head = [&](auto set) {
    UpstreamRequest<typename decltype(set)::value_type> spec;
    spec.target = target;
    spec.host = host;
    spec.request_id = ex.request_id;
    spec.forwarded = {ex.peer_ip, ex.scheme, original_host, options.xff_num_trusted_hops};
    spec.cookie_name = options.cookie_name;
    spec.websocket = websocket;
    spec.remove = route.remove_request_headers;
    spec.claim_headers = &options.jwt_claims_headers;
    spec.set = set;
    append_upstream_request_head(head, parser.get(), spec);
  };
  if (ex.upstream_headers != nullptr) {
    write_head(ex.upstream_headers->items());
  } else {
    write_head(std::span<const config::Header>(route.set_request_headers));
  }
  ex.upstream = upstream.authority;
  return index;
}

// A new connection to the upstream. On failure: null, the error recorded and logged, and
// ex.status the status to answer with (503, or 504 for a timeout).
awaitable<std::unique_ptr<UpstreamConnection>> connect_upstream(Exchange& ex,
                                                                const UpstreamTarget& target,
                                                                std::size_t index,
                                                                bool allow_reuse) {
  auto acquired = co_await ex.worker.pool().acquire(target, kConnectTimeout, allow_reuse);
  if (!acquired.connection) {
    const bool timeout = acquired.error == ConnectError::kTimeout;
    record_upstream_error(*ex.route->metrics, timeout ? telemetry::UpstreamError::kTimeout
                                                      : telemetry::UpstreamError::kConnect);
    telemetry::log_warn("upstream connect failed", {{"request_id", ex.request_id},
                                                    {"upstream", ex.route->route->to[index].url},
                                                    {"error", acquired.detail}});
    ex.status = timeout ? 504 : 503;
  }
  co_return std::move(acquired.connection);
}

// Takes a pooled connection or makes one, runs the exchange, and tries once more on a fresh
// connection when a pooled one turns out to be closed before anything was committed. The caller
// has counted the request as started on upstream `index` (least-request balancing); it is counted
// as finished when the relay ends, however it ends.
template <class Client>
awaitable<bool> relay(Exchange& ex, Client& client, beast::flat_buffer& buffer,
                      RequestParser& parser, std::size_t index, bool expect_continue,
                      bool websocket) {
  struct Finished {
    const Exchange& ex;
    std::size_t index;
    ~Finished() { ex.snapshot->upstream_finished(*ex.route->route, ex.worker.id(), index); }
  } finished{ex, index};
  const auto& upstream_target = ex.route->targets[index];
  for (int attempt = 0; attempt < 2; ++attempt) {
    // A pooled connection costs no coroutine; only a new one is awaited.
    std::unique_ptr<UpstreamConnection> connection;
    if (attempt == 0) connection = ex.worker.pool().take_idle(upstream_target);
    if (!connection) {
      connection = co_await connect_upstream(ex, upstream_target, index, attempt == 0);
      if (!connection) {
        const int status = ex.status;
        co_return co_await send_error(ex, client, status, "upstream connect error",
                                      ex.keep_alive && parser.is_done());
      }
    }
    bool reusable = false;
    Outcome outcome;
    if (auto* tls = std::get_if<TlsStream>(&connection->stream())) {
      outcome = co_await exchange(ex, client, buffer, parser, expect_continue, *tls, *connection,
                                  websocket, reusable);
    } else {
      outcome = co_await exchange(ex, client, buffer, parser, expect_continue,
                                  std::get<TcpStream>(connection->stream()), *connection, websocket,
                                  reusable);
    }
    if (outcome == Outcome::kRetryable) continue;
    if (reusable) ex.worker.pool().release(std::move(connection));
    co_return outcome == Outcome::kDone;
  }
  record_upstream_error(*ex.route->metrics, telemetry::UpstreamError::kProtocol);
  co_return co_await send_error(ex, client, 502, "upstream closed the connection", false);
}

}  // namespace

template <class Client>
awaitable<bool> forward_request(Exchange& ex, Client& client, beast::flat_buffer& buffer,
                                RequestParser& parser, std::string_view target,
                                std::string_view original_host, bool websocket) {
  // Not a coroutine: the relay's frame is the only one a forwarded request adds here.
  const bool expect_continue = iequals(parser.get()[bhttp::field::expect], "100-continue");
  const std::size_t index = prepare_upstream_request(ex, parser, target, original_host, websocket);
  ex.snapshot->upstream_started(*ex.route->route, ex.worker.id(), index);
  return relay(ex, client, buffer, parser, index, expect_continue, websocket);
}

template awaitable<bool> forward_request<TcpStream>(Exchange&, TcpStream&, beast::flat_buffer&,
                                                    RequestParser&, std::string_view,
                                                    std::string_view, bool);
template awaitable<bool> forward_request<TlsStream>(Exchange&, TlsStream&, beast::flat_buffer&,
                                                    RequestParser&, std::string_view,
                                                    std::string_view, bool);

}  // namespace portcullis::proxy
