#include "proxy/local_reply.h"

#include <re2/re2.h>

#include "authorize/reply.h"
#include "telemetry/log.h"

namespace portcullis::proxy {
namespace {

using authorize::append_html_escaped;

// Splits "host:port" / "[v6]:port" into host and port text.
std::pair<std::string_view, std::string_view> split_host_port(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close != std::string_view::npos) {
      auto rest = authority.substr(close + 1);
      if (!rest.empty() && rest.front() == ':')
        return {authority.substr(0, close + 1), rest.substr(1)};
      return {authority.substr(0, close + 1), {}};
    }
  }
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) return {authority, {}};
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 495:
      return "SSL Certificate Error";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

LocalReply error_reply(int status, std::string_view detail, std::string_view request_id,
                       std::string_view accept) {
  LocalReply reply;
  reply.status = status;
  reply.headers.emplace_back(authorize::kInterceptedHeader, "true");
  if (prefers_json(accept)) {
    reply.content_type = "application/json";
    reply.body = "{\"error\":";
    telemetry::append_json_string(reply.body, detail.empty() ? reason_phrase(status) : detail);
    reply.body.append(",\"request_id\":");
    telemetry::append_json_string(reply.body, request_id);
    reply.body.append("}\n");
    return reply;
  }
  reply.content_type = "text/html; charset=utf-8";
  std::string title = std::to_string(status) + " " + std::string(reason_phrase(status));
  reply.body.reserve(512);
  reply.body.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
  reply.body.append(title);
  reply.body.append("</title></head>\n<body><h1>");
  reply.body.append(title);
  reply.body.append("</h1>\n");
  if (!detail.empty()) {
    reply.body.append("<p>");
    append_html_escaped(reply.body, detail);
    reply.body.append("</p>\n");
  }
  reply.body.append("<p>Request ID: <code>");
  append_html_escaped(reply.body, request_id);
  reply.body.append("</code></p>\n</body></html>\n");
  return reply;
}

LocalReply to_local_reply(authorize::Reply&& reply) {
  LocalReply out;
  out.status = reply.status;
  out.content_type = std::move(reply.content_type);
  out.body = std::move(reply.body);
  out.location = std::move(reply.location);
  out.headers = std::move(reply.headers);
  return out;
}

std::string rewrite_path(const config::Route& route, std::string_view path) {
  if (route.regex_rewrite_pattern) {
    std::string out(path);
    RE2::GlobalReplace(&out, *route.regex_rewrite_pattern, route.regex_rewrite_substitution);
    if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
    return out;
  }
  if (route.prefix_rewrite) {
    const std::string& replacement = *route.prefix_rewrite;
    if (route.path_kind == config::PathMatchKind::kPrefix &&
        path.substr(0, route.path_value.size()) == route.path_value) {
      std::string out = replacement;
      out.append(path.substr(route.path_value.size()));
      if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
      return out;
    }
    // path and regex matchers: the whole path is the matched part.
    return replacement.empty() ? std::string("/") : replacement;
  }
  return std::string(path);
}

std::string redirect_location(const config::Route& route, const RequestUrl& url) {
  const auto& r = *route.redirect;
  std::string scheme(url.scheme);
  if (r.https_redirect) scheme = "https";
  if (r.scheme_redirect) scheme = *r.scheme_redirect;

  // Envoy semantics: a scheme change keeps an explicit port unless it is the new scheme's
  // default; host_redirect replaces the whole authority; port_redirect sets the port.
  auto [host, port] = split_host_port(url.host);
  std::string host_out(host);
  std::string port_out(port);
  if (r.host_redirect) {
    auto [new_host, new_port] = split_host_port(*r.host_redirect);
    host_out = std::string(new_host);
    port_out = std::string(new_port);
  }
  if (r.port_redirect) port_out = std::to_string(*r.port_redirect);
  auto is_default_port = [](std::string_view s, std::string_view p) {
    return (s == "https" && p == "443") || (s == "http" && p == "80");
  };
  if (is_default_port(scheme, port_out) ||
      (scheme != url.scheme && !r.port_redirect && is_default_port(url.scheme, port_out))) {
    port_out.clear();
  }

  std::string path;
  std::string query(url.query);
  if (r.path_redirect) {
    path = *r.path_redirect;
    // A query in path_redirect replaces the request's.
    if (auto q = path.find('?'); q != std::string::npos) {
      query = path.substr(q);
      path.resize(q);
    }
  } else if (r.prefix_rewrite) {
    config::Route rewrite;
    rewrite.path_kind = route.path_kind;
    rewrite.path_value = route.path_value;
    rewrite.prefix_rewrite = r.prefix_rewrite;
    path = rewrite_path(rewrite, url.path);
  } else {
    path = std::string(url.path);
  }
  if (r.strip_query && !(r.path_redirect && r.path_redirect->find('?') != std::string::npos)) {
    query.clear();
  }

  std::string location = scheme + "://" + host_out;
  if (!port_out.empty()) location += ":" + port_out;
  location += path;
  location += query;
  return location;
}

}  // namespace portcullis::proxy
