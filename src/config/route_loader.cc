// The list of routes, and route ids.

#include "config/route_loader.h"

#include <openssl/evp.h>

#include <map>

#include "config/known_keys.h"

namespace portcullis::config::detail {
namespace {

constexpr std::size_t kIdHexChars = 16;

// Length-prefixed fields so that ("ab", "c") and ("a", "bc") hash differently.
void add_field(std::string& input, std::string_view field) {
  input += std::to_string(field.size());
  input += ':';
  input += field;
}

void add_optional(std::string& input, const std::optional<std::string>& field) {
  add_field(input, field ? "1" + *field : "0");
}

std::string sha256_hex(const std::string& input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace

std::string route_hash_id(const Route& route) {
  std::string input;
  add_field(input, route.from);
  add_field(input, std::to_string(static_cast<int>(route.path_kind)));
  add_field(input, route.path_value);
  if (!route.to.empty()) {
    add_field(input, "to");
    for (const auto& upstream : route.to) {
      add_field(input, upstream.url);
      add_field(input, std::to_string(upstream.weight));
    }
  } else if (route.redirect) {
    const auto& redirect = *route.redirect;
    add_field(input, "redirect");
    add_field(input, redirect.https_redirect ? "1" : "0");
    add_optional(input, redirect.scheme_redirect);
    add_optional(input, redirect.host_redirect);
    add_optional(input, redirect.port_redirect
                            ? std::optional<std::string>(std::to_string(*redirect.port_redirect))
                            : std::nullopt);
    add_optional(input, redirect.path_redirect);
    add_optional(input, redirect.prefix_rewrite);
    add_field(input, std::to_string(redirect.response_code));
    add_field(input, redirect.strip_query ? "1" : "0");
  } else if (route.response) {
    add_field(input, "response");
    add_field(input, std::to_string(route.response->status));
    add_field(input, route.response->body);
  }
  return sha256_hex(input).substr(0, kIdHexChars);
}

void load_routes(const Value& list, const Options& options, LoadContext& ctx, RouteList& out) {
  if (list.is_null()) return;
  if (!list.is_sequence()) {
    list.error(ctx.sink, "wrong type: expected a list of routes");
    return;
  }
  for (std::size_t i = 0; i < list.node.size(); ++i) {
    Value item = list.at_index(i, list.node[i]);
    if (!item.is_map()) {
      item.error(ctx.sink, "wrong type: expected a route (a map with from and to)");
      continue;
    }
    Mapping map(item, route_keys(), ctx.sink);
    map.report_key_uses(ctx.sink);
    Route route;
    route.index = out.routes.size();
    route.line = item.line();
    if (!map.has("from")) item.error(ctx.sink, "the route needs from");
    load_route_match(map, ctx, route);
    load_route_action(map, item, ctx, route);
    load_route_options(map, options, ctx, route);
    check_route_policy(map, item, options, ctx, route);
    out.routes.push_back(std::move(route));
    out.paths.push_back(item.path);
  }
}

void assign_route_ids(RouteList& list, LoadContext& ctx) {
  std::map<std::string, std::size_t> explicit_ids;
  std::map<std::string, std::size_t> hashed_ids;
  for (std::size_t i = 0; i < list.routes.size(); ++i) {
    Route& route = list.routes[i];
    if (!route.id.empty()) {
      auto [it, inserted] = explicit_ids.emplace(route.id, i);
      if (!inserted) {
        ctx.sink.error(
            list.paths[i] + ".id", route.line,
            "duplicate route id \"" + route.id + "\" (also " + list.paths[it->second] + ")");
      }
      continue;
    }
    route.id = route_hash_id(route);
    auto [it, inserted] = hashed_ids.emplace(route.id, i);
    if (!inserted) {
      ctx.sink.warning(
          list.paths[i], route.line,
          "same from, path and action as " + list.paths[it->second] + ": this route never matches");
      route.id += "-" + std::to_string(i);
    }
  }
  // An explicit id may not collide with a generated one either.
  for (const auto& [id, index] : explicit_ids) {
    if (auto it = hashed_ids.find(id); it != hashed_ids.end()) {
      ctx.sink.error(
          list.paths[index] + ".id", list.routes[index].line,
          "route id \"" + id + "\" equals the generated id of " + list.paths[it->second]);
    }
  }
}

}  // namespace portcullis::config::detail
