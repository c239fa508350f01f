#include "config/route_policy.h"

#include "config/route_loader.h"

namespace portcullis::config {

policy::RouteFlags route_policy_flags(const Route& route, const Options& options) {
  policy::RouteFlags flags;
  flags.allow_public_unauthenticated_access = route.allow_public_unauthenticated_access;
  flags.allow_any_authenticated_user = route.allow_any_authenticated_user;
  flags.cors_allow_preflight = route.cors_allow_preflight;
  flags.allowed_users = route.allowed_users;
  flags.allowed_domains = route.allowed_domains;
  flags.allowed_idp_claims = route.allowed_idp_claims;
  const auto& mtls = options.downstream_mtls;
  flags.deny_invalid_client_certificate = mtls.enabled() && mtls.enforcement != "policy";
  return flags;
}

policy::CompileResult compile_route_policy(const Route& route, const Options& options) {
  return policy::compile_route(route_policy_flags(route, options), route.policy_json);
}

namespace detail {

void check_route_policy(const Mapping& map, const Value& route_value, const Options& options,
                        LoadContext& ctx, const Route& route) {
  auto result = compile_route_policy(route, options);
  if (result.ok()) return;
  const Value* policy = map.find("policy");
  const Value& at = policy != nullptr && policy->is_set() ? *policy : route_value;
  at.error(ctx.sink, "invalid policy: " + result.error);
}

}  // namespace detail
}  // namespace portcullis::config
