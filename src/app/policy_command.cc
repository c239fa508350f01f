#include "app/policy_command.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "authorize/decision.h"
#include "config/config.h"
#include "policy/json_input.h"
#include "policy/policy.h"

namespace portcullis::app {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

policy::RouteFlags route_flags(const config::Config& config, const config::Route& route) {
  policy::RouteFlags flags;
  flags.allow_public_unauthenticated_access = route.allow_public_unauthenticated_access;
  flags.allow_any_authenticated_user = route.allow_any_authenticated_user;
  flags.cors_allow_preflight = route.cors_allow_preflight;
  flags.allowed_users = route.allowed_users;
  flags.allowed_domains = route.allowed_domains;
  flags.allowed_idp_claims = route.allowed_idp_claims;
  const auto& mtls = config.options.downstream_mtls;
  flags.deny_invalid_client_certificate = mtls.enabled() && mtls.enforcement != "policy";
  return flags;
}

// A route by `id`, else by `name`, else by its position in the file.
const config::Route* find_route(const config::Config& config, const std::string& key) {
  for (const auto& route : config.routes) {
    if (route.id == key) return &route;
  }
  for (const auto& route : config.routes) {
    if (!route.name.empty() && route.name == key) return &route;
  }
  if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos && key.size() < 10) {
    std::size_t index = std::stoul(key);
    if (index < config.routes.size()) return &config.routes[index];
  }
  return nullptr;
}

nlohmann::ordered_json verdict_json(const policy::Verdict& verdict) {
  auto reasons = nlohmann::json::array();
  for (auto reason : verdict.reasons) reasons.push_back(std::string(policy::to_string(reason)));
  return {{"value", verdict.value}, {"reasons", reasons}};
}

}  // namespace

PolicyCommand::PolicyCommand(CLI::App& app) {
  policy_ = app.add_subcommand("policy", "check or evaluate a PPL policy");
  policy_->require_subcommand(1);
  check_ = policy_->add_subcommand("check", "validate a policy file (YAML or JSON)");
  check_->add_option("policy", check_path_, "policy file")->required();
  eval_ = policy_->add_subcommand("eval", "evaluate a policy against a request described in JSON");
  auto* policy_opt = eval_->add_option("-p,--policy", policy_path_, "policy file (YAML or JSON)");
  auto* config_opt = eval_->add_option("-c,--config", config_path_, "configuration file");
  auto* route_opt =
      eval_->add_option("-r,--route", route_, "route id, name or index (with --config)");
  policy_opt->excludes(config_opt);
  route_opt->needs(config_opt);
  config_opt->needs(route_opt);
  eval_->add_option("-i,--input", input_path_, "input JSON file")->required();
}

int PolicyCommand::run() const {
  if (check_->parsed()) return check();
  if (eval_->parsed()) return eval();
  return 2;
}

int PolicyCommand::check() const {
  std::string text;
  if (!read_file(check_path_, text)) {
    std::cerr << check_path_ << ": cannot read the file\n";
    return 1;
  }
  auto compiled = policy::compile_policy_text(text);
  if (!compiled.ok()) {
    std::cerr << check_path_ << ": " << compiled.error << "\n";
    return 1;
  }
  std::cout << check_path_ << ": ok (" << compiled.policy->criteria_count() << " criteria)\n";
  return 0;
}

int PolicyCommand::eval() const {
  policy::CompileResult compiled;
  if (!config_path_.empty()) {
    auto loaded = config::load_config_file(config_path_);
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
      std::cerr << config_path_ << ": invalid configuration\n";
      return 1;
    }
    const auto* route = find_route(*loaded.config, route_);
    if (route == nullptr) {
      std::cerr << config_path_ << ": no route with id, name or index \"" << route_ << "\"\n";
      return 1;
    }
    compiled = policy::compile_route(route_flags(*loaded.config, *route), route->policy_json);
    if (!compiled.ok()) {
      std::cerr << config_path_ << ": route " << route_ << ": " << compiled.error << "\n";
      return 1;
    }
  } else if (!policy_path_.empty()) {
    std::string text;
    if (!read_file(policy_path_, text)) {
      std::cerr << policy_path_ << ": cannot read the file\n";
      return 1;
    }
    compiled = policy::compile_policy_text(text);
    if (!compiled.ok()) {
      std::cerr << policy_path_ << ": " << compiled.error << "\n";
      return 1;
    }
  } else {
    std::cerr << "policy eval: give --policy FILE, or --config FILE --route ID\n";
    return 2;
  }

  std::string input_text;
  if (!read_file(input_path_, input_text)) {
    std::cerr << input_path_ << ": cannot read the file\n";
    return 1;
  }
  nlohmann::json input_doc = nlohmann::json::parse(input_text, nullptr, false);
  if (input_doc.is_discarded()) {
    std::cerr << input_path_ << ": invalid JSON\n";
    return 1;
  }
  try {
    policy::JsonInput input(input_doc, std::chrono::system_clock::now());
    auto decision = compiled.policy->evaluate(input.input());
    auto accept = input.input().request.header("Accept");
    int status = authorize::decision_status(decision, authorize::prefers_html(accept.value_or("")));
    nlohmann::ordered_json out = {{"allow", verdict_json(decision.allow)},
                                  {"deny", verdict_json(decision.deny)},
                                  {"status", status}};
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const policy::PolicyError& e) {
    std::cerr << input_path_ << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace portcullis::app
