#pragma once
// Internal to the loader: routes (`routes:` and the legacy `policy:` list).

#include <string>
#include <vector>

#include "config/config.h"
#include "config/load_context.h"
#include "config/yaml_value.h"

namespace portcullis::config::detail {

struct RouteList {
  std::vector<Route> routes;
  std::vector<std::string> paths;  // key path of each route (`routes[2]`), for diagnostics
};

// Appends the routes of `list` (a YAML sequence). Needs the global options for defaults.
void load_routes(const Value& list, const Options& options, LoadContext& ctx, RouteList& out);

// Gives every route its id: the explicit `id` (which must be unique) or a hash of its matching
// fields and action. Identical routes get a warning (only the first can ever match).
void assign_route_ids(RouteList& list, LoadContext& ctx);

// Parts of one route, in route_match.cc and route_options.cc.
void load_route_match(const Mapping& map, LoadContext& ctx, Route& route);
void load_route_action(const Mapping& map, const Value& route_value, LoadContext& ctx,
                       Route& route);
void load_route_options(const Mapping& map, const Options& options, LoadContext& ctx, Route& route);
void load_route_upstream_tls(const Mapping& map, LoadContext& ctx, Route& route);
std::string route_hash_id(const Route& route);
// Reports a route policy (flags and `policy`) that does not compile (route_policy.cc).
void check_route_policy(const Mapping& map, const Value& route_value, const Options& options,
                        LoadContext& ctx, const Route& route);

}  // namespace portcullis::config::detail
