#include "http/http_client.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <stdexcept>
#include <variant>

namespace portcullis::http {
namespace {

using Stream = beast::basic_stream<tcp, Executor>;
using SecureStream = ssl::stream<Stream>;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Where to connect and what to send, from the request URL.
struct Target {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string host_header;
  std::string request_target;  // origin-form: path and query
  bool host_is_ip = false;
};

std::optional<Target> parse_target(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return std::nullopt;
  const auto& url = *parsed;
  Target target;
  if (url.scheme_id() == boost::urls::scheme::https) {
    target.tls = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    return std::nullopt;
  }
  if (!url.has_authority() || url.host().empty() || url.has_userinfo()) return std::nullopt;
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      target.host = url.host_address();
      target.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      target.host = url.host();
      break;
    default:
      return std::nullopt;
  }
  target.port = url.has_port() ? std::string(url.port()) : (target.tls ? "443" : "80");
  target.host_header = url.encoded_host_and_port();
  target.request_target = url.encoded_path().empty() ? "/" : std::string(url.encoded_path());
  if (url.has_query()) target.request_target += "?" + std::string(url.encoded_query());
  return target;
}

HttpClientResult failure(HttpClientError error, std::string detail) {
  HttpClientResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

HttpClientError classify_read_error(const error_code& ec) {
  if (ec == beast::error::timeout) return HttpClientError::kTimeout;
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
      ec == bhttp::error::buffer_overflow) {
    return HttpClientError::kTooLarge;
  }
  return HttpClientError::kProtocol;
}

// Writes the request and reads the response on an established stream (plain or TLS).
template <class AnyStream>
awaitable<HttpClientResult> exchange(AnyStream& stream, Stream& lowest,
                                     const bhttp::request<bhttp::string_body>& request,
                                     const HttpClientOptions& options,
                                     std::chrono::steady_clock::time_point deadline) {
  lowest.expires_at(deadline);
  auto [write_ec, written] = co_await bhttp::async_write(stream, request, kNoThrow);
  (void)written;
  if (write_ec) {
    co_return failure(
        write_ec == beast::error::timeout ? HttpClientError::kTimeout : HttpClientError::kProtocol,
        "write: " + write_ec.message());
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_response_header));
  parser.body_limit(options.max_response_body);
  lowest.expires_at(deadline);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  (void)read;
  if (read_ec) co_return failure(classify_read_error(read_ec), "read: " + read_ec.message());
  auto message = parser.release();
  HttpClientResult result;
  result.response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    result.response.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
  }
  result.response.body = std::move(message.body());
  co_return result;
}

std::string openssl_error_text() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

std::string form_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string form_encode(const HeaderList& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += form_escape(name);
    out += '=';
    out += form_escape(value);
  }
  return out;
}

std::optional<std::string> HttpClientResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::string_view to_string(HttpClientError error) {
  switch (error) {
    case HttpClientError::kNone:
      return "ok";
    case HttpClientError::kBadUrl:
      return "bad url";
    case HttpClientError::kResolve:
      return "name resolution failed";
    case HttpClientError::kConnect:
      return "connection failed";
    case HttpClientError::kTls:
      return "tls handshake failed";
    case HttpClientError::kTimeout:
      return "timed out";
    case HttpClientError::kTooLarge:
      return "response too large";
    case HttpClientError::kProtocol:
      return "protocol error";
  }
  return "unknown";
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  tls_ = std::make_shared<ssl::context>(ssl::context::tls_client);
  tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls_->set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (options_.use_system_cas) {
    tls_->set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("system CA certificates: " + ec.message());
  }
  if (!options_.extra_ca_pem.empty()) {
    // add_certificate_authority takes only the first certificate; a bundle may hold several.
    X509_STORE* store = SSL_CTX_get_cert_store(tls_->native_handle());
    BIO* bio = BIO_new_mem_buf(options_.extra_ca_pem.data(),
                               static_cast<int>(options_.extra_ca_pem.size()));
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    int added = 0;
    if (infos != nullptr) {
      for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
        X509_INFO* info = sk_X509_INFO_value(infos, i);
        if (info->x509 != nullptr && X509_STORE_add_cert(store, info->x509) == 1) ++added;
      }
      sk_X509_INFO_pop_free(infos, X509_INFO_free);
    }
    if (added == 0) {
      throw std::runtime_error("certificate_authority: no certificate could be loaded (" +
                               openssl_error_text() + ")");
    }
    ERR_clear_error();
  }
}

HttpClient::~HttpClient() = default;

awaitable<HttpClientResult> HttpClient::send(HttpClientRequest request) const {
  using namespace boost::asio::experimental::awaitable_operators;
  auto target = parse_target(request.url);
  if (!target) co_return failure(HttpClientError::kBadUrl, "not an absolute http(s) URL");
  auto executor = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;

  Resolver resolver(executor);
  SteadyTimer timer(executor);
  timer.expires_at(deadline);
  auto resolved = co_await (resolver.async_resolve(target->host, target->port, kNoThrow) ||
                            timer.async_wait(kNoThrow));
  if (resolved.index() == 1) co_return failure(HttpClientError::kTimeout, "resolve timed out");
  auto [resolve_ec, endpoints] = std::get<0>(std::move(resolved));
  if (resolve_ec) {
    co_return failure(HttpClientError::kResolve, target->host + ": " + resolve_ec.message());
  }

  bhttp::request<bhttp::string_body> message;
  message.method_string(request.method);
  message.target(target->request_target);
  message.version(11);
  message.set(bhttp::field::host, target->host_header);
  message.set(bhttp::field::user_agent, options_.user_agent);
  message.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = std::move(request.body);
  if (!message.body().empty() || request.method == "POST" || request.method == "PUT") {
    message.prepare_payload();
  }

  Stream lowest(executor);
  lowest.expires_at(deadline);
  auto [connect_ec, endpoint] = co_await lowest.async_connect(endpoints, kNoThrow);
  (void)endpoint;
  if (connect_ec) {
    co_return failure(
        connect_ec == beast::error::timeout ? HttpClientError::kTimeout : HttpClientError::kConnect,
        target->host + ":" + target->port + ": " + connect_ec.message());
  }
  if (!target->tls) {
    co_return co_await exchange(lowest, lowest, message, options_, deadline);
  }

  SecureStream secure(std::move(lowest), *tls_);
  if (!target->host_is_ip) {
    SSL_set_tlsext_host_name(secure.native_handle(), target->host.c_str());
  }
  secure.set_verify_callback(ssl::host_name_verification(target->host));
  auto& inner = secure.next_layer();
  inner.expires_at(deadline);
  auto [handshake_ec] = co_await secure.async_handshake(ssl::stream_base::client, kNoThrow);
  if (handshake_ec) {
    co_return failure(
        handshake_ec == beast::error::timeout ? HttpClientError::kTimeout : HttpClientError::kTls,
        target->host + ": " + handshake_ec.message());
  }
  auto result = co_await exchange(secure, inner, message, options_, deadline);
  error_code ignored;
  inner.socket().close(ignored);
  co_return result;
}

}  // namespace portcullis::http
