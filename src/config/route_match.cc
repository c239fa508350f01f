// A route's `from`, path matcher and action (`to`, `redirect` or `response`).

#include <charconv>

#include "config/known_keys.h"
#include "config/net_address.h"
#include "config/route_loader.h"
#include "config/text.h"

namespace portcullis::config::detail {
namespace {

std::uint16_t default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

bool is_tunnel_scheme(std::string_view scheme) {
  return scheme == "tcp" || scheme == "udp" || scheme == "unix" || scheme == "https+unix" ||
         scheme == "ssh" || scheme.starts_with("tcp+") || scheme.starts_with("udp+");
}

void load_from(const Value& value, LoadContext& ctx, Route& route) {
  auto text = read_string(value, ctx.sink);
  if (!text) return;
  std::string raw = trim(*text);
  if (raw.empty()) {
    value.error(ctx.sink, "must be a URL such as https://app.example.com");
    return;
  }
  if (raw.find("://") == std::string::npos) raw = "https://" + raw;
  if (std::string scheme = to_lower(raw.substr(0, raw.find("://"))); is_tunnel_scheme(scheme)) {
    value.error(ctx.sink, scheme + ":// routes are not supported yet");
    return;
  }
  std::string error;
  auto url = parse_url(raw, error);
  if (!url) {
    value.error(ctx.sink, "invalid URL \"" + *text + "\": " + error);
    return;
  }
  if (url->scheme != "http" && url->scheme != "https") {
    value.error(ctx.sink, "scheme must be http or https, got \"" + url->scheme + "\"");
    return;
  }
  if (!url->path.empty() && url->path != "/") {
    value.error(ctx.sink, "must not contain a path (\"" + url->path +
                              "\"): use path, prefix or regex on the route");
    return;
  }
  if (url->has_query || url->has_fragment || url->has_userinfo) {
    value.error(ctx.sink, "must be scheme://host[:port] only");
    return;
  }
  route.from_scheme = url->scheme;
  route.from_host = url->host;
  route.from_port = url->port;
  route.from_wildcard = url->host.find('*') != std::string::npos;
  route.from = url->scheme + "://" + authority_host(*url);
  if (url->port) route.from += ":" + std::to_string(*url->port);
}

// One `to` entry: URL[,weight].
std::optional<Upstream> load_upstream(const Value& value, const std::string& text, bool& weighted,
                                      LoadContext& ctx) {
  std::string entry = trim(text);
  Upstream upstream;
  weighted = false;
  if (auto comma = entry.rfind(','); comma != std::string::npos) {
    std::string weight_text = trim(entry.substr(comma + 1));
    entry = trim(entry.substr(0, comma));
    std::uint64_t weight = 0;
    auto [end, ec] =
        std::from_chars(weight_text.data(), weight_text.data() + weight_text.size(), weight);
    if (ec != std::errc() || end != weight_text.data() + weight_text.size() ||
        weight_text.empty()) {
      value.error(ctx.sink, "invalid weight \"" + weight_text + "\" in \"" + text +
                                "\": expected URL,weight with a positive integer weight");
      return std::nullopt;
    }
    if (weight == 0 || weight > UINT32_MAX) {
      value.error(ctx.sink, "weight must be a positive integer, got " + weight_text);
      return std::nullopt;
    }
    upstream.weight = static_cast<std::uint32_t>(weight);
    weighted = true;
  }
  if (entry.find("://") == std::string::npos) entry = "http://" + entry;
  if (std::string scheme = to_lower(entry.substr(0, entry.find("://"))); is_tunnel_scheme(scheme)) {
    value.error(ctx.sink, "scheme \"" + scheme + "\" is not supported yet");
    return std::nullopt;
  }
  std::string error;
  auto url = parse_url(entry, error);
  if (!url) {
    value.error(ctx.sink, "invalid URL \"" + text + "\": " + error);
    return std::nullopt;
  }
  if (url->scheme == "h2c") {
    upstream.h2c = true;
    url->scheme = "http";
  } else if (url->scheme != "http" && url->scheme != "https") {
    value.error(ctx.sink, "scheme must be http, https or h2c, got \"" + url->scheme + "\"");
    return std::nullopt;
  }
  if (url->has_query || url->has_fragment) {
    value.warning(ctx.sink, "the query and fragment of \"" + text + "\" are ignored");
  }
  if (url->has_userinfo) value.warning(ctx.sink, "the user info of \"" + text + "\" is ignored");
  upstream.url = entry;
  upstream.scheme = url->scheme;
  upstream.host = url->host;
  upstream.port = url->port.value_or(default_port(url->scheme));
  upstream.authority = authority_host(*url);
  if (upstream.port != default_port(url->scheme)) {
    upstream.authority += ":" + std::to_string(upstream.port);
  }
  upstream.path = url->path;
  return upstream;
}

void load_to(const Value& value, LoadContext& ctx, Route& route) {
  std::vector<std::pair<Value, std::string>> entries;
  if (value.is_scalar()) {
    entries.emplace_back(value, value.node.Scalar());
  } else if (value.is_sequence()) {
    for (std::size_t i = 0; i < value.node.size(); ++i) {
      Value item = value.at_index(i, value.node[i]);
      auto text = read_string(item, ctx.sink);
      if (text) entries.emplace_back(item, *text);
    }
  } else {
    value.error(ctx.sink, "wrong type: expected a URL or a list of URLs, got a map");
    return;
  }
  if (entries.empty()) {
    value.error(ctx.sink, "needs at least one URL");
    return;
  }
  std::size_t weighted_count = 0;
  for (const auto& [item, text] : entries) {
    bool weighted = false;
    if (auto upstream = load_upstream(item, text, weighted, ctx)) {
      route.to.push_back(std::move(*upstream));
      if (weighted) ++weighted_count;
    }
  }
  if (weighted_count != 0 && weighted_count != route.to.size()) {
    value.error(ctx.sink, "either all or none of the to URLs must have a weight");
  }
}

std::optional<int> redirect_code(const Value& value, LoadContext& ctx) {
  auto text = read_string(value, ctx.sink);
  if (!text) return std::nullopt;
  static constexpr std::pair<std::string_view, int> kCodes[] = {{"MOVED_PERMANENTLY", 301},
                                                                {"FOUND", 302},
                                                                {"SEE_OTHER", 303},
                                                                {"TEMPORARY_REDIRECT", 307},
                                                                {"PERMANENT_REDIRECT", 308}};
  std::string code = to_upper(trim(*text));
  for (const auto& [name, number] : kCodes) {
    if (code == name || code == std::to_string(number)) return number;
  }
  value.error(ctx.sink, "unsupported redirect response code \"" + *text +
                            "\" (supported values: 301, 302, 303, 307, 308 or their names)");
  return std::nullopt;
}

void load_redirect(const Value& value, LoadContext& ctx, Route& route) {
  Mapping map(value, redirect_keys(), ctx.sink);
  if (!map.valid()) return;
  RedirectAction redirect;
  assign(map, "https_redirect", ctx, redirect.https_redirect);
  assign(map, "strip_query", ctx, redirect.strip_query);
  auto optional_string = [&](std::string_view key, std::optional<std::string>& out) {
    if (const Value* field = map.find(key)) {
      if (auto parsed = read_string(*field, ctx.sink)) out = *parsed;
    }
  };
  optional_string("scheme_redirect", redirect.scheme_redirect);
  optional_string("host_redirect", redirect.host_redirect);
  optional_string("path_redirect", redirect.path_redirect);
  optional_string("prefix_rewrite", redirect.prefix_rewrite);
  if (const Value* port = map.find("port_redirect")) {
    if (auto number = read_int(*port, ctx.sink, 0, 65535)) {
      redirect.port_redirect = static_cast<std::uint16_t>(*number);
    }
  }
  if (const Value* code = map.find("response_code")) {
    if (auto number = redirect_code(*code, ctx)) redirect.response_code = *number;
  }
  if (redirect.https_redirect && redirect.scheme_redirect) {
    map.find("scheme_redirect")->error(ctx.sink, "cannot be combined with https_redirect");
  }
  if (redirect.path_redirect && redirect.prefix_rewrite) {
    map.find("prefix_rewrite")->error(ctx.sink, "cannot be combined with path_redirect");
  }
  route.redirect = std::move(redirect);
}

void load_response(const Value& value, LoadContext& ctx, Route& route) {
  Mapping map(value, response_keys(), ctx.sink);
  if (!map.valid()) return;
  DirectResponse response;
  if (const Value* status = map.find("status")) {
    if (auto number = read_int(*status, ctx.sink, 100, 599)) {
      response.status = static_cast<int>(*number);
    }
  }
  assign(map, "body", ctx, response.body);
  route.response = std::move(response);
}

}  // namespace

void load_route_match(const Mapping& map, LoadContext& ctx, Route& route) {
  if (const Value* from = map.find("from"); from != nullptr && !from->is_null()) {
    load_from(*from, ctx, route);
  }

  auto matcher = [&](std::string_view key) -> std::optional<std::pair<const Value*, std::string>> {
    const Value* value = map.find(key);
    if (value == nullptr) return std::nullopt;
    auto text = read_string(*value, ctx.sink);
    if (!text || text->empty()) return std::nullopt;
    return std::make_pair(value, *text);
  };
  auto regex = matcher("regex");
  auto path = matcher("path");
  auto prefix = matcher("prefix");
  if (regex) {
    // Envoy's safe_regex matches the whole path: anchor the pattern as a group, so that an
    // alternation such as "/a|/b" is anchored on both sides.
    std::string pattern = "^(?:" + regex->second + ")$";
    RE2::Options options;
    options.set_log_errors(false);
    auto compiled = std::make_shared<const RE2>(pattern, options);
    if (!compiled->ok()) {
      regex->first->error(ctx.sink, "invalid regex: " + compiled->error());
      return;
    }
    route.path_kind = PathMatchKind::kRegex;
    route.path_value = regex->second;
    route.regex = std::move(compiled);
  } else if (path || prefix) {
    const auto& chosen = path ? *path : *prefix;
    if (!chosen.second.starts_with('/')) {
      chosen.first->error(ctx.sink, "must start with '/', got \"" + chosen.second + "\"");
      return;
    }
    route.path_kind = path ? PathMatchKind::kPath : PathMatchKind::kPrefix;
    route.path_value = chosen.second;
  }
}

void load_route_action(const Mapping& map, const Value& route_value, LoadContext& ctx,
                       Route& route) {
  const Value* to = map.find("to");
  const Value* redirect = map.find("redirect");
  const Value* response = map.find("response");
  if (to != nullptr && to->is_null()) to = nullptr;
  if (redirect != nullptr && redirect->is_null()) redirect = nullptr;
  if (response != nullptr && response->is_null()) response = nullptr;
  int actions = (to != nullptr) + (redirect != nullptr) + (response != nullptr);
  if (actions == 0) {
    route_value.error(ctx.sink, "the route needs one of to, redirect or response");
    return;
  }
  if (actions > 1) {
    route_value.error(ctx.sink, "the route may have only one of to, redirect or response");
    return;
  }
  if (to != nullptr) load_to(*to, ctx, route);
  if (redirect != nullptr) load_redirect(*redirect, ctx, route);
  if (response != nullptr) load_response(*response, ctx, route);
}

}  // namespace portcullis::config::detail
