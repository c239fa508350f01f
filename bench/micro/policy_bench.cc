// Policy evaluations per second for a typical route: an email rule plus a group rule, with one
// compiled policy in memory and with 1,000 (each route its own users and groups; requests go to
// routes in a scattered order so the policies are not all in cache).

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "policy/policy.h"

namespace {

using portcullis::policy::CompiledPolicy;
using portcullis::policy::EvalInput;

std::string typical_policy(int route) {
  std::string n = std::to_string(route);
  return "allow:\n  or:\n    - email:\n        is: owner" + n +
         "@example.com\n    - groups:\n        has: team-" + n +
         "\ndeny:\n  or:\n    - email:\n        is: blocked@example.com\n";
}

std::shared_ptr<const CompiledPolicy> compile(int route) {
  auto compiled = portcullis::policy::compile_policy_text(typical_policy(route));
  if (!compiled.ok()) std::abort();
  return compiled.policy;
}

// A signed-in member of team-<route> (not the owner): the email rule fails, the group rule
// passes, so both criteria run.
struct Request {
  std::vector<std::string> groups;
  nlohmann::json claims = nlohmann::json::object();
  EvalInput input;
  explicit Request(int route) {
    groups = {"everyone", "team-" + std::to_string(route), "readers"};
    claims["groups"] = nlohmann::json::array({"idp-group"});
    input.request.method = "GET";
    input.request.path = "/dashboard";
    input.session.present = true;
    input.session.id = "session-id";
    input.session.user_id = "user-id";
    input.session.claims = &claims;
    input.user.email = "member@example.com";
    input.directory_user.group_ids = groups;
    input.now = std::chrono::system_clock::now();
  }
};

void BM_PolicyOneRoute(benchmark::State& state) {
  auto policy = compile(7);
  Request request(7);
  for (auto _ : state) {
    auto decision = policy->evaluate(request.input);
    benchmark::DoNotOptimize(decision);
    if (!decision.allowed()) state.SkipWithError("expected an allow");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyOneRoute);

void BM_PolicyThousandRoutes(benchmark::State& state) {
  constexpr int kRoutes = 1000;
  std::vector<std::shared_ptr<const CompiledPolicy>> policies;
  std::vector<std::unique_ptr<Request>> requests;
  for (int i = 0; i < kRoutes; ++i) {
    policies.push_back(compile(i));
    requests.push_back(std::make_unique<Request>(i));
  }
  std::vector<int> order(4096);
  std::mt19937 rng(42);
  for (auto& o : order) o = static_cast<int>(rng() % kRoutes);
  std::size_t next = 0;
  for (auto _ : state) {
    int route = order[next++ & (order.size() - 1)];
    auto decision = policies[route]->evaluate(requests[route]->input);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyThousandRoutes);

void BM_PolicyCompile(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(compile(7));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyCompile);

}  // namespace
