#include "authenticate/exchange.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

namespace portcullis::authenticate {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Request::url() const {
  std::string out = scheme + "://" + host + path;
  if (!query.empty()) out += "?" + query;
  return out;
}

std::string Request::hostname() const {
  std::string name;
  auto authority = boost::urls::parse_authority(host);
  if (authority) {
    name = authority->host_type() == boost::urls::host_type::ipv6
               ? "[" + std::string(authority->host_address()) + "]"
               : std::string(authority->host_address());
  } else {
    name = host;
  }
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::optional<std::string> Request::param(std::string_view name) const {
  if (auto value = find_query_param(query, name)) return value;
  if (method == "POST" && content_type.starts_with("application/x-www-form-urlencoded")) {
    return find_query_param(body, name);
  }
  return std::nullopt;
}

std::optional<std::string> Request::cookie_value(std::string_view name) const {
  return find_cookie(cookie, name);
}

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> Response::set_cookies() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : headers) {
    if (iequals(key, "Set-Cookie")) out.push_back(value);
  }
  return out;
}

Response Response::redirect(std::string location, int status) {
  Response response;
  response.status = status;
  response.add_header("Location", std::move(location));
  return response;
}

std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    auto end = cookie_header.find(';');
    auto pair = trim(cookie_header.substr(0, end));
    cookie_header = end == std::string_view::npos ? "" : cookie_header.substr(end + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) != name) continue;
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

std::optional<std::string> find_query_param(std::string_view encoded_query, std::string_view name) {
  std::string text = "?" + std::string(encoded_query);
  auto ref = boost::urls::parse_relative_ref(text);
  if (!ref) return std::nullopt;
  for (auto param : ref->params()) {  // decoded, '+' as space
    if (param.key == name) return param.has_value ? param.value : std::string();
  }
  return std::nullopt;
}

}  // namespace portcullis::authenticate
