#include "proxy/sign_in_adapter.h"

#include <boost/beast/core/string.hpp>

namespace portcullis::proxy {

bool same_host(std::string_view host, std::string_view authenticate_host) {
  return !authenticate_host.empty() && boost::beast::iequals(host, authenticate_host);
}

authenticate::Request make_sign_in_request(const http::bhttp::fields& fields,
                                           std::string_view method, std::string_view scheme,
                                           std::string_view host, std::string_view path,
                                           std::string_view query, std::string_view client_ip) {
  namespace bhttp = http::bhttp;
  authenticate::Request request;
  request.method = std::string(method);
  request.scheme = std::string(scheme);
  request.host = std::string(host);
  request.path = std::string(path);
  if (query.starts_with('?')) query.remove_prefix(1);
  request.query = std::string(query);
  auto [first, last] = fields.equal_range(bhttp::field::cookie);
  for (auto it = first; it != last; ++it) {
    if (!request.cookie.empty()) request.cookie += "; ";
    request.cookie.append(it->value());
  }
  request.authorization = std::string(fields[bhttp::field::authorization]);
  request.pomerium_authorization = std::string(fields["x-pomerium-authorization"]);
  request.requested_with = std::string(fields["x-requested-with"]);
  request.content_type = std::string(fields[bhttp::field::content_type]);
  request.client_ip = std::string(client_ip);
  return request;
}

LocalReply to_local_reply(authenticate::Response&& response) {
  LocalReply reply;
  reply.status = response.status;
  reply.content_type = std::move(response.content_type);
  reply.body = std::move(response.body);
  reply.headers = std::move(response.headers);
  return reply;
}

}  // namespace portcullis::proxy
