// A route's rewrites, headers, timeouts, authorization inputs and upstream TLS.

#include "config/pem.h"
#include "config/route_loader.h"
#include "config/text.h"

namespace portcullis::config::detail {
namespace {

std::optional<std::string> optional_string(const Mapping& map, std::string_view key,
                                           LoadContext& ctx) {
  const Value* value = map.find(key);
  if (value == nullptr) return std::nullopt;
  return read_string(*value, ctx.sink);
}

void load_rewrites(const Mapping& map, LoadContext& ctx, Route& route) {
  if (auto prefix = optional_string(map, "prefix_rewrite", ctx); prefix && !prefix->empty()) {
    route.prefix_rewrite = *prefix;
  }
  const Value* pattern_value = map.find("regex_rewrite_pattern");
  const Value* substitution_value = map.find("regex_rewrite_substitution");
  auto pattern = optional_string(map, "regex_rewrite_pattern", ctx);
  auto substitution = optional_string(map, "regex_rewrite_substitution", ctx);
  if (pattern && !pattern->empty()) {
    if (route.prefix_rewrite) {
      pattern_value->error(ctx.sink,
                           "only one of prefix_rewrite and regex_rewrite_pattern may "
                           "be set");
    } else {
      RE2::Options options;
      options.set_log_errors(false);
      auto compiled = std::make_shared<const RE2>(*pattern, options);
      if (!compiled->ok()) {
        pattern_value->error(ctx.sink, "invalid regex: " + compiled->error());
      } else {
        std::string rewrite = substitution.value_or("");
        std::string error;
        if (!compiled->CheckRewriteString(rewrite, &error)) {
          substitution_value->error(ctx.sink, "invalid substitution: " + error);
        } else {
          route.regex_rewrite_pattern = std::move(compiled);
          route.regex_rewrite_substitution = std::move(rewrite);
        }
      }
    }
  } else if (substitution && !substitution->empty()) {
    substitution_value->error(ctx.sink, "needs regex_rewrite_pattern");
  }
  // Pomerium's getRewriteOptions: the first `to` URL's path is a prefix rewrite.
  if (!route.prefix_rewrite && !route.regex_rewrite_pattern && !route.to.empty() &&
      !route.to.front().path.empty() && route.to.front().path != "/") {
    route.prefix_rewrite = route.to.front().path;
  }
  if (auto host = optional_string(map, "host_rewrite", ctx); host && !host->empty()) {
    route.host_rewrite = *host;
  }
  assign(map, "preserve_host_header", ctx, route.preserve_host_header);
}

// Reads a header map; returns whether it had the `disable` key.
bool read_headers(const Mapping& map, std::string_view key, LoadContext& ctx,
                  std::vector<Header>& out) {
  bool disable = false;
  if (const Value* value = map.find(key)) {
    if (auto pairs = read_string_map(*value, ctx.sink)) {
      for (auto& [name, header_value] : *pairs) {
        if (trim(name).empty()) {
          value->error(ctx.sink, "empty header name");
          continue;
        }
        if (iequals(name, "disable")) {
          disable = true;
          continue;
        }
        upsert_header(out, name, header_value);
      }
    }
  }
  return disable;
}

void load_headers(const Mapping& map, const Options& options, LoadContext& ctx, Route& route) {
  read_headers(map, "set_request_headers", ctx, route.set_request_headers);
  std::vector<std::string> removed;
  assign(map, "remove_request_headers", ctx, removed);
  for (auto& name : removed) route.remove_request_headers.push_back(to_lower(name));
  std::vector<Header> own;
  bool disable = read_headers(map, "set_response_headers", ctx, own);
  // The route's headers win over the global ones; `disable` drops the global ones.
  route.set_response_headers = disable ? std::vector<Header>{} : options.set_response_headers;
  for (auto& header : own) upsert_header(route.set_response_headers, header.name, header.value);
}

void load_timeouts(const Mapping& map, const Options& options, LoadContext& ctx, Route& route) {
  assign(map, "allow_websockets", ctx, route.allow_websockets);
  std::optional<Duration> timeout;
  std::optional<Duration> idle_timeout;
  if (const Value* value = map.find("timeout")) timeout = read_duration(*value, ctx.sink);
  if (const Value* value = map.find("idle_timeout")) idle_timeout = read_duration(*value, ctx.sink);
  // Pomerium: websocket routes have no timeouts unless they are set explicitly.
  Duration default_timeout =
      route.allow_websockets ? Duration{0} : options.default_upstream_timeout;
  route.timeout = timeout.value_or(default_timeout);
  route.idle_timeout = idle_timeout.value_or(Duration{0});
}

void load_authorization(const Mapping& map, LoadContext& ctx, Route& route) {
  assign(map, "allow_public_unauthenticated_access", ctx,
         route.allow_public_unauthenticated_access);
  assign(map, "allow_any_authenticated_user", ctx, route.allow_any_authenticated_user);
  assign(map, "cors_allow_preflight", ctx, route.cors_allow_preflight);
  assign(map, "allowed_users", ctx, route.allowed_users);
  assign(map, "allowed_domains", ctx, route.allowed_domains);
  if (const Value* claims = map.find("allowed_idp_claims");
      claims != nullptr && !claims->is_null()) {
    if (!claims->is_map()) {
      claims->error(ctx.sink, "wrong type: expected a map of claim names to values");
    } else {
      for (auto it = claims->node.begin(); it != claims->node.end(); ++it) {
        Value values = claims->at_key(it->first.Scalar(), it->second);
        std::vector<std::string> list;
        if (values.is_scalar()) {
          list.push_back(values.node.Scalar());  // one value, commas included
        } else if (auto read = read_string_list(values, ctx.sink)) {
          list = std::move(*read);
        } else {
          continue;
        }
        route.allowed_idp_claims[it->first.Scalar()] = std::move(list);
      }
    }
  }
  if (const Value* policy = map.find("policy"); policy != nullptr && policy->is_set()) {
    route.policy_json = yaml_to_json(policy->node);
  }
  assign(map, "pass_identity_headers", ctx, route.pass_identity_headers);

  bool lists = !route.allowed_users.empty() || !route.allowed_domains.empty() ||
               !route.allowed_idp_claims.empty();
  if (route.allow_public_unauthenticated_access &&
      (lists || route.allow_any_authenticated_user || !route.policy_json.empty())) {
    map.find("allow_public_unauthenticated_access")
        ->error(ctx.sink,
                "a public route cannot also have allow_any_authenticated_user, allowed_users, "
                "allowed_domains, allowed_idp_claims or policy");
  } else if (route.allow_any_authenticated_user &&
             (!route.allowed_users.empty() || !route.allowed_domains.empty())) {
    map.find("allow_any_authenticated_user")
        ->error(ctx.sink,
                "a route for any authenticated user cannot also have allowed_users or "
                "allowed_domains");
  }
}

void load_balancing(const Mapping& map, LoadContext& ctx, Route& route) {
  const Value* value = map.find("load_balancing_policy");
  if (value == nullptr) return;
  auto text = read_string(*value, ctx.sink);
  if (!text || text->empty()) return;
  static constexpr std::pair<std::string_view, LoadBalancing> kPolicies[] = {
      {"ROUND_ROBIN", LoadBalancing::kRoundRobin},
      {"RANDOM", LoadBalancing::kRandom},
      {"LEAST_REQUEST", LoadBalancing::kLeastRequest},
      {"RING_HASH", LoadBalancing::kRingHash},
      {"MAGLEV", LoadBalancing::kMaglev}};
  std::string name = to_upper(trim(*text));
  for (const auto& [policy_name, policy] : kPolicies) {
    if (name == policy_name) {
      route.load_balancing = policy;
      return;
    }
  }
  value->error(ctx.sink, "invalid value \"" + *text +
                             "\": must be ROUND_ROBIN, RANDOM, LEAST_REQUEST, RING_HASH or MAGLEV");
}

}  // namespace

void load_route_options(const Mapping& map, const Options& options, LoadContext& ctx,
                        Route& route) {
  assign(map, "id", ctx, route.id);
  assign(map, "name", ctx, route.name);
  load_rewrites(map, ctx, route);
  load_headers(map, options, ctx, route);
  load_timeouts(map, options, ctx, route);
  load_authorization(map, ctx, route);
  load_balancing(map, ctx, route);
  load_route_upstream_tls(map, ctx, route);
}

void load_route_upstream_tls(const Mapping& map, LoadContext& ctx, Route& route) {
  assign(map, "tls_skip_verify", ctx, route.tls_skip_verify);
  assign(map, "tls_server_name", ctx, route.tls_server_name);
  if (auto name = optional_string(map, "tls_upstream_server_name", ctx); name && !name->empty()) {
    route.tls_server_name = *name;  // overrides tls_server_name, as in Pomerium
  }

  auto pem = [&](std::string_view key, std::string_view file_key) -> std::optional<TextSource> {
    auto source = read_inline_or_file(map, key, file_key, ctx);
    if (!source || source->from_file) return source;
    auto decoded = pem_from_value(source->text);
    if (!decoded) {
      source->value->error(ctx.sink, "must be PEM or base64-encoded PEM");
      return std::nullopt;
    }
    source->text = std::move(*decoded);
    return source;
  };

  if (auto ca = pem("tls_custom_ca", "tls_custom_ca_file")) {
    std::string error = check_certificates(ca->text);
    if (error.empty()) {
      route.tls_custom_ca_pem = std::move(ca->text);
    } else {
      ca->value->error(ctx.sink, error);
    }
  }

  bool has_cert = map.has("tls_client_cert") || map.has("tls_client_cert_file");
  bool has_key = map.has("tls_client_key") || map.has("tls_client_key_file");
  if (has_cert != has_key) {
    const Value* present = map.find(
        has_cert ? (map.has("tls_client_cert") ? "tls_client_cert" : "tls_client_cert_file")
                 : (map.has("tls_client_key") ? "tls_client_key" : "tls_client_key_file"));
    present->error(ctx.sink, "tls_client_cert and tls_client_key must be set together");
    return;
  }
  auto cert = pem("tls_client_cert", "tls_client_cert_file");
  auto key = pem("tls_client_key", "tls_client_key_file");
  if (!cert || !key) return;
  std::string cert_error = check_certificates(cert->text);
  if (!cert_error.empty()) cert->value->error(ctx.sink, cert_error);
  std::string key_error = check_private_key(key->text);
  if (!key_error.empty()) key->value->error(ctx.sink, key_error);
  if (!cert_error.empty() || !key_error.empty()) return;
  std::string pair_error = check_key_pair(cert->text, key->text);
  if (!pair_error.empty()) {
    key->value->error(ctx.sink, pair_error);
    return;
  }
  route.tls_client_cert_pem = std::move(cert->text);
  route.tls_client_key_pem = std::move(key->text);
}

}  // namespace portcullis::config::detail
