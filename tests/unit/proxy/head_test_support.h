#pragma once
// Shared helpers for the proxy head tests: client request heads and what the upstream receives.

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "proxy/header_rules.h"

namespace portcullis::proxy::testing {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<config::Header>;

// Every value of `name`, in order.
inline std::vector<std::string> values(const Fields& fields, std::string_view name) {
  std::vector<std::string> out;
  for (auto [it, end] = fields.equal_range(name); it != end; ++it) out.emplace_back(it->value());
  return out;
}

// A client's request head: GET / HTTP/1.1 unless told otherwise.
inline RequestHead make_request(const Pairs& pairs, unsigned version = 11,
                                std::string_view method = "GET", std::string_view target = "/") {
  RequestHead head;
  head.method_string(method);
  head.target(target);
  head.version(version);
  for (const auto& [name, value] : pairs) head.insert(name, value);
  return head;
}

inline UpstreamRequest<config::Header> default_spec() {
  UpstreamRequest<config::Header> spec;
  spec.target = "/";
  spec.host = "app.example";
  spec.request_id = "req-1";
  spec.forwarded = {"10.0.0.1", "http", "app.example", 0};
  spec.cookie_name = "_pomerium";
  return spec;
}

template <class Header>
std::string upstream_head(const RequestHead& request, const UpstreamRequest<Header>& spec) {
  std::string out;
  append_upstream_request_head(out, request, spec);
  return out;
}

// Parses `bytes` as the upstream would: they must be exactly one valid request head.
inline void parse_request_head(const std::string& bytes, RequestHead& parsed) {
  namespace bhttp = boost::beast::http;
  bhttp::request_parser<bhttp::empty_body> parser;
  boost::system::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(bytes), ec);
  if (ec == bhttp::error::need_more && parser.is_header_done()) ec = {};  // a body follows
  ASSERT_FALSE(ec) << ec.message() << "\n" << bytes;
  ASSERT_TRUE(parser.is_header_done()) << bytes;
  ASSERT_EQ(used, bytes.size()) << bytes;
  parsed = parser.get().base();
}

// The head the upstream receives, parsed back.
template <class Header>
RequestHead sent_head(const RequestHead& request, const UpstreamRequest<Header>& spec) {
  RequestHead parsed;
  parse_request_head(upstream_head(request, spec), parsed);
  return parsed;
}

// The fields the upstream receives for a client request with `pairs`.
inline Fields sent_fields(const Pairs& pairs,
                          const UpstreamRequest<config::Header>& spec = default_spec()) {
  return static_cast<const Fields&>(sent_head(make_request(pairs), spec));
}

// The client's headers that went through: the sent fields without Host, X-Forwarded-For / -Proto
// / -Host and X-Request-Id, which the proxy writes itself.
inline Pairs client_headers(const Fields& sent) {
  namespace bhttp = boost::beast::http;
  Pairs out;
  for (const auto& field : sent) {
    auto name = field.name_string();
    if (field.name() == bhttp::field::host || boost::beast::iequals(name, "x-forwarded-for") ||
        boost::beast::iequals(name, "x-forwarded-proto") ||
        boost::beast::iequals(name, "x-forwarded-host") ||
        boost::beast::iequals(name, "x-request-id")) {
      continue;
    }
    out.emplace_back(name, field.value());
  }
  return out;
}

inline Pairs passed_through(const Pairs& pairs,
                            const UpstreamRequest<config::Header>& spec = default_spec()) {
  return client_headers(sent_fields(pairs, spec));
}

}  // namespace portcullis::proxy::testing
