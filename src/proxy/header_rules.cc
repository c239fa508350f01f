#include "proxy/header_rules.h"

#include <boost/beast/core/string.hpp>
#include <charconv>
#include <cstring>
#include <vector>

#include "authorize/header_list.h"
#include "proxy/response_parser.h"

namespace portcullis::proxy {
namespace bhttp = boost::beast::http;
using boost::beast::iequals;

namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Calls f(token) for each comma-separated, trimmed, non-empty token.
template <class F>
void for_each_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto token = trim_ows(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

// "name: value\r\n", grown once and copied in place (four appends cost four capacity checks).
void append_line(std::string& out, std::string_view name, std::string_view value) {
  const std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  if (!name.empty()) std::memcpy(p, name.data(), name.size());  // an empty view may be null
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

// Appends header lines to a head, copying lines that stand in their source as they are written
// ("name: value\r\n", which is how parsed heads usually come and how Beast stores a field) by
// the run: consecutive ones are one copy.
class LineRuns {
 public:
  explicit LineRuns(std::string& out) : out_(out) {}

  // `name` and `value` are views into the field's source, which must hold the bytes around them
  // that make its line: the two after the name, and the two after the value when the value
  // follows the name's ": ".
  void append(std::string_view name, std::string_view value) {
    const char* line = name.data();
    const char* after_name = line + name.size();
    if (value.data() == after_name + 2 && after_name[0] == ':' && after_name[1] == ' ' &&
        value.data()[value.size()] == '\r' && value.data()[value.size() + 1] == '\n') {
      const std::size_t size = name.size() + value.size() + 4;
      if (run_ + run_size_ != line) {
        flush();
        run_ = line;
      }
      run_size_ += size;
      return;
    }
    flush();
    append_line(out_, name, value);
  }

  void flush() {
    if (run_size_ > 0) out_.append(run_, run_size_);
    run_ = nullptr;
    run_size_ = 0;
  }

 private:
  std::string& out_;
  const char* run_ = nullptr;
  std::size_t run_size_ = 0;
};

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequals(a, b);
}

bool listed(std::string_view name, std::span<const std::string> names) {
  for (const auto& n : names) {
    if (same_name(name, n)) return true;
  }
  return false;
}

template <class Header>
bool listed(std::string_view name, std::span<const Header> headers) {
  for (const auto& h : headers) {
    if (same_name(name, h.name)) return true;
  }
  return false;
}

bool is_claim_header(std::string_view name, const std::map<std::string, std::string>& headers) {
  for (const auto& [header, claim] : headers) {
    if (iequals(name, header)) return true;
  }
  return false;
}

bool is_session_authorization(std::string_view value) {
  value = trim_ows(value);
  return istarts_with(value, "pomerium ") || istarts_with(value, "bearer pomerium-");
}

// Calls f(pair, name) for each cookie pair of a Cookie value, both trimmed.
template <class F>
void for_each_cookie(std::string_view value, F&& f) {
  while (!value.empty()) {
    auto semi = value.find(';');
    auto pair = trim_ows(value.substr(0, semi));
    if (!pair.empty()) f(pair, trim_ows(pair.substr(0, pair.find('='))));
    if (semi == std::string_view::npos) break;
    value.remove_prefix(semi + 1);
  }
}

// Appends the Cookie line without the cookie `session`: untouched when it has none, nothing when
// no other cookie is left.
void append_cookie_without(std::string& out, std::string_view name, std::string_view value,
                           std::string_view session) {
  bool found = false;
  for_each_cookie(value, [&](std::string_view, std::string_view cookie) {
    if (cookie == session) found = true;
  });
  if (!found) {
    append_line(out, name, value);
    return;
  }
  const std::size_t mark = out.size();
  out.append(name);
  out.append(": ");
  const std::size_t first = out.size();
  for_each_cookie(value, [&](std::string_view pair, std::string_view cookie) {
    if (cookie == session) return;
    if (out.size() > first) out.append("; ");
    out.append(pair);
  });
  if (out.size() == first) {
    out.resize(mark);
  } else {
    out.append("\r\n");
  }
}

// The names the proxy writes itself, whatever the client or the route's headers say.
enum class Owned { kNone, kForwardedFor, kForwardedProto, kForwardedHost, kRequestId };

Owned owned_name(std::string_view name) {
  if (name.size() < 12 || (name[0] != 'x' && name[0] != 'X')) return Owned::kNone;
  if (iequals(name, "x-forwarded-for")) return Owned::kForwardedFor;
  if (iequals(name, "x-forwarded-proto")) return Owned::kForwardedProto;
  if (iequals(name, "x-forwarded-host")) return Owned::kForwardedHost;
  if (iequals(name, "x-request-id")) return Owned::kRequestId;
  return Owned::kNone;
}

// Whether a configured or computed value can go into a head as is: no line breaks, no NUL.
bool is_safe_value(std::string_view value) {
  // Three memchr scans: find_first_of with a set looks each byte up in the set instead.
  return value.find('\r') == std::string_view::npos && value.find('\n') == std::string_view::npos &&
         value.find('\0') == std::string_view::npos;
}

bool is_framing_name(std::string_view name) {
  switch (name.size()) {
    case 10:
      return iequals(name, "connection");
    case 14:
      return iequals(name, "content-length");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

// Which forwarding headers a request already carries (the client's, with trusted hops, or set).
struct ForwardedSeen {
  bool xff = false;
  bool proto = false;
  bool host = false;
};

// Whether a header of this name may be written as it is: X-Forwarded-For and X-Request-Id are
// always the proxy's; X-Forwarded-Proto / -Host only without trusted hops. Notes what was seen.
bool passes_owned(std::string_view name, bool trusted, ForwardedSeen& seen) {
  switch (owned_name(name)) {
    case Owned::kForwardedFor:
      seen.xff = true;
      return false;
    case Owned::kRequestId:
      return false;
    case Owned::kForwardedProto:
      seen.proto = seen.proto || trusted;
      return trusted;
    case Owned::kForwardedHost:
      seen.host = seen.host || trusted;
      return trusted;
    case Owned::kNone:
      return true;
  }
  return true;
}

bool is_framing(bhttp::field name) {
  return name == bhttp::field::content_length || name == bhttp::field::transfer_encoding ||
         name == bhttp::field::connection;
}

}  // namespace

void HopByHop::add_named(std::string_view connection) {
  // The usual values name no header.
  if ((connection.size() == 10 && iequals(connection, "keep-alive")) ||
      (connection.size() == 5 && iequals(connection, "close"))) {
    return;
  }
  for_each_token(connection, [&](std::string_view token) {
    if (iequals(token, "close") || iequals(token, "keep-alive")) return;
    if (keep_upgrade_ && iequals(token, "upgrade")) return;
    // Never let Connection remove framing or routing headers.
    if (iequals(token, "host") || iequals(token, "transfer-encoding") ||
        iequals(token, "content-length")) {
      return;
    }
    named_.push_back(token);
  });
}

bool HopByHop::drops(bhttp::field name, std::string_view name_string) const {
  switch (name) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::proxy_connection:
    case bhttp::field::te:
      return true;
    case bhttp::field::upgrade:
      return !keep_upgrade_;
    default:
      break;
  }
  for (auto named : named_) {
    if (iequals(name_string, named)) return true;
  }
  return false;
}

template <class Header>
void append_upstream_request_head(std::string& out, const RequestHead& request,
                                  const UpstreamRequest<Header>& upstream) {
  const auto& forwarded = upstream.forwarded;
  const bool trusted = forwarded.trusted_hops > 0;
  out.append(request.method_string());
  out.push_back(' ');
  out.append(upstream.target);
  out.append(" HTTP/1.1\r\n");
  append_line(out, "Host", upstream.host);

  HopByHop hop_by_hop(request, upstream.websocket);
  ForwardedSeen seen;
  for (const auto& field : request) {
    if (hop_by_hop.drops(field)) continue;
    const auto name = field.name_string();
    switch (field.name()) {
      case bhttp::field::host:
      case bhttp::field::expect:
        continue;
      case bhttp::field::cookie:
        if (!listed(name, upstream.remove) && !listed(name, upstream.set)) {
          append_cookie_without(out, name, field.value(), upstream.cookie_name);
        }
        continue;
      case bhttp::field::authorization:
        if (is_session_authorization(field.value())) continue;
        break;
      case bhttp::field::content_length:
      case bhttp::field::transfer_encoding:
        // The body is relayed as the client framed it: no rule may change the framing.
        append_line(out, name, field.value());
        continue;
      default:
        break;
    }
    if (!passes_owned(name, trusted, seen)) continue;
    if (istarts_with(name, "x-pomerium-") || listed(name, upstream.remove) ||
        listed(name, upstream.set)) {
      continue;
    }
    if (upstream.claim_headers != nullptr && is_claim_header(name, *upstream.claim_headers)) {
      continue;
    }
    append_line(out, name, field.value());
  }

  for (std::size_t i = 0; i < upstream.set.size(); ++i) {
    const auto& header = upstream.set[i];
    // The proxy's own and the framing, a value that would break the head (a claim from the
    // identity provider can hold anything), or set again further on (the last one wins).
    if (is_framing_name(header.name) || iequals(header.name, "host") ||
        !is_safe_value(header.value) || listed(header.name, upstream.set.subspan(i + 1))) {
      continue;
    }
    if (!passes_owned(header.name, trusted, seen)) continue;
    append_line(out, header.name, header.value);
  }

  out.append("X-Forwarded-For: ");
  if (trusted && seen.xff) {
    for (auto [it, end] = request.equal_range("x-forwarded-for"); it != end; ++it) {
      auto value = trim_ows(it->value());
      if (value.empty()) continue;
      out.append(value);
      out.append(", ");
    }
  }
  out.append(forwarded.client_ip);
  out.append("\r\n");
  if (!seen.proto) append_line(out, "X-Forwarded-Proto", forwarded.scheme);
  if (!seen.host) append_line(out, "X-Forwarded-Host", forwarded.original_host);
  append_line(out, "X-Request-Id", upstream.request_id);
  if (upstream.websocket) out.append("Connection: upgrade\r\n");
  out.append("\r\n");
}

template void append_upstream_request_head(std::string&, const RequestHead&,
                                           const UpstreamRequest<config::Header>&);
template void append_upstream_request_head(std::string&, const RequestHead&,
                                           const UpstreamRequest<authorize::HeaderEntry>&);

void append_response_set_lines(std::string& out, std::span<const config::Header> set) {
  for (const auto& header : set) {
    // The configured headers cannot change how the message is framed.
    if (is_framing_name(header.name) || !is_safe_value(header.value)) continue;
    append_line(out, header.name, header.value);
  }
}

template <class Head>
void append_downstream_response_head(std::string& out, const Head& response,
                                     const DownstreamResponse& downstream) {
  using Framing = DownstreamResponse::Framing;
  out.append(downstream.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char status[8];
  auto [end, ec] = std::to_chars(status, status + sizeof status, response.result_int());
  out.append(status, end);
  out.push_back(' ');
  std::string_view reason = response.reason();
  if (reason.empty()) reason = bhttp::obsolete_reason(response.result());
  out.append(reason);
  out.append("\r\n");

  HopByHop hop_by_hop(response, downstream.upgrade);
  LineRuns runs(out);
  for (const auto& field : response) {
    if (hop_by_hop.drops(field)) continue;
    const auto name = field.name_string();
    if (field.name() == bhttp::field::transfer_encoding &&
        downstream.framing == Framing::kUnchunk) {
      // The body goes out decoded: only codings other than the final chunked stay.
      auto value = trim_ows(field.value());
      auto comma = value.rfind(',');
      auto last = trim_ows(comma == std::string_view::npos ? value : value.substr(comma + 1));
      if (iequals(last, "chunked")) {
        value =
            trim_ows(comma == std::string_view::npos ? std::string_view() : value.substr(0, comma));
      }
      if (!value.empty()) runs.append(name, value);
      continue;
    }
    if (!is_framing(field.name()) && listed(name, downstream.set)) continue;
    runs.append(name, field.value());
  }
  runs.flush();
  if (downstream.set_lines != nullptr) {
    out.append(*downstream.set_lines);
  } else {
    append_response_set_lines(out, downstream.set);
  }
  if (downstream.framing == Framing::kChunk) out.append("Transfer-Encoding: chunked\r\n");
  if (downstream.upgrade) {
    out.append("Connection: upgrade\r\n");
  } else if (downstream.version >= 11 && !downstream.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (downstream.version == 10 && downstream.keep_alive) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

template void append_downstream_response_head(std::string&, const ResponseHead&,
                                              const DownstreamResponse&);
template void append_downstream_response_head(std::string&, const UpstreamResponseParser&,
                                              const DownstreamResponse&);

std::string client_address(const Fields& fields, std::string_view peer,
                           std::uint32_t trusted_hops) {
  if (trusted_hops == 0) return std::string(peer);
  std::vector<std::string_view> hops;
  for (auto [it, end] = fields.equal_range("x-forwarded-for"); it != end; ++it) {
    for_each_token(it->value(), [&](std::string_view token) { hops.push_back(token); });
  }
  // The peer is the last trusted hop; each trusted hop appended the address it saw.
  // Fewer entries than trusted hops: the chain cannot be trusted, use the peer (as Envoy).
  if (hops.size() < trusted_hops) return std::string(peer);
  return std::string(hops[hops.size() - trusted_hops]);
}

bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

RequestId make_request_id(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  RequestId id;
  // 8-4-4-4-12 hex digits, most significant first: a byte at a time, two digits per byte.
  char* out = id.data();
  auto put = [&](std::uint64_t word, int first_byte, int bytes) {
    for (int i = first_byte; i < first_byte + bytes; ++i) {
      const unsigned byte = static_cast<unsigned>(word >> (56 - 8 * i)) & 0xff;
      *out++ = kHex[byte >> 4];
      *out++ = kHex[byte & 0xf];
    }
  };
  put(hi, 0, 4);
  *out++ = '-';
  put(hi, 4, 2);
  *out++ = '-';
  put(hi, 6, 2);
  *out++ = '-';
  put(lo, 0, 2);
  *out++ = '-';
  put(lo, 2, 6);
  return id;
}

RequestFacts scan_request_headers(const Fields& fields) {
  RequestFacts facts;
  auto first = [](std::string_view& slot, std::string_view value) {
    if (slot.data() == nullptr) slot = value.data() != nullptr ? value : std::string_view("", 0);
  };
  for (const auto& field : fields) {
    ++facts.count;
    switch (field.name()) {
      case bhttp::field::host:
        ++facts.hosts;
        first(facts.host, field.value());
        break;
      case bhttp::field::content_length:
        ++facts.content_lengths;
        break;
      case bhttp::field::transfer_encoding:
        ++facts.transfer_encodings;
        first(facts.transfer_encoding, field.value());
        break;
      case bhttp::field::accept:
        first(facts.accept, field.value());
        break;
      case bhttp::field::upgrade:
        first(facts.upgrade, field.value());
        break;
      case bhttp::field::user_agent:
        first(facts.user_agent, field.value());
        break;
      case bhttp::field::unknown:
        if (iequals(field.name_string(), "x-request-id")) first(facts.request_id, field.value());
        break;
      default:
        break;
    }
    if (field.name_string().find('_') != std::string_view::npos) facts.underscore = true;
  }
  return facts;
}

bool is_websocket_upgrade(std::string_view upgrade) {
  bool websocket = false;
  for_each_token(upgrade, [&](std::string_view token) {
    if (iequals(token, "websocket")) websocket = true;
  });
  return websocket;
}

}  // namespace portcullis::proxy
