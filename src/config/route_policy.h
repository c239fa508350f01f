#pragma once
// A route's authorization settings as the policy engine takes them, and the check that its
// policy compiles (run while loading, so that a bad policy is reported with the route's key and
// line instead of failing closed at request time).

#include "config/config.h"
#include "policy/policy.h"

namespace portcullis::config {

// The route flags of `route`; `options` supplies downstream_mtls (every route then denies
// requests without a valid client certificate unless the enforcement is `policy`).
policy::RouteFlags route_policy_flags(const Route& route, const Options& options);

// compile_route(route_policy_flags(route, options), route.policy_json).
policy::CompileResult compile_route_policy(const Route& route, const Options& options);

}  // namespace portcullis::config
