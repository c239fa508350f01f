#include "authorize/well_known.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "telemetry/log.h"

namespace portcullis::authorize {
namespace {

void add_cors(Reply& reply) {
  reply.headers.emplace_back("access-control-allow-origin", "*");
}

std::string callback_endpoint(std::string_view authenticate_service_url) {
  auto parsed = boost::urls::parse_absolute_uri(authenticate_service_url);
  if (!parsed) return {};
  boost::urls::url url(*parsed);
  url.set_encoded_path("/oauth2/callback");
  url.remove_query();
  url.remove_fragment();
  return std::string(url.buffer());
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto item = if_none_match.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<Reply> well_known_reply(const WellKnownRequest& request,
                                      std::string_view authenticate_service_url,
                                      const IdentitySigner& signer) {
  bool jwks = request.path == kJwksPath;
  if (!jwks && request.path != kWellKnownPath &&
      request.path != std::string(kWellKnownPath) + "/") {
    return std::nullopt;
  }
  Reply reply;
  if (request.cors_preflight) {
    reply.status = 204;
    add_cors(reply);
    reply.headers.emplace_back("access-control-allow-methods", "GET, HEAD, OPTIONS");
    reply.headers.emplace_back("access-control-allow-headers", "*");
    return reply;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    reply.status = 405;
    reply.body = "method not allowed\n";
    reply.headers.emplace_back("allow", "GET, HEAD");
    return reply;
  }
  add_cors(reply);
  reply.content_type = "application/json";
  if (jwks) {
    reply.headers.emplace_back("cache-control", "max-age=60");
    reply.headers.emplace_back("etag", signer.jwks_etag());
    if (etag_matches(request.if_none_match, signer.jwks_etag())) {
      reply.status = 304;
      return reply;
    }
    reply.body = signer.jwks();
    return reply;
  }
  std::string base = std::string(request.scheme) + "://" + std::string(request.host);
  reply.body = "{\"issuer\":";
  telemetry::append_json_string(reply.body, base + "/");
  reply.body.append(",\"authentication_callback_endpoint\":");
  telemetry::append_json_string(reply.body, callback_endpoint(authenticate_service_url));
  reply.body.append(",\"jwks_uri\":");
  telemetry::append_json_string(reply.body, base + std::string(kJwksPath));
  reply.body.append(",\"frontchannel_logout_uri\":");
  telemetry::append_json_string(reply.body, base + "/.pomerium/sign_out");
  reply.body.append("}\n");
  return reply;
}

}  // namespace portcullis::authorize
