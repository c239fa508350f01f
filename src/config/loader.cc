// load_config_file / load_config_text: YAML (or JSON) + environment -> validated Config.

#include <filesystem>

#include "config/environment.h"
#include "config/known_keys.h"
#include "config/load_context.h"
#include "config/options_loader.h"
#include "config/route_loader.h"
#include "config/text.h"
#include "config/yaml_value.h"

namespace portcullis::config {
namespace {

using detail::DiagnosticSink;
using detail::Mapping;
using detail::Value;

LoadResult finish(DiagnosticSink& sink, std::shared_ptr<const Config> config) {
  LoadResult result;
  bool failed = sink.has_errors();
  result.diagnostics = sink.take_sorted();
  if (!failed) result.config = std::move(config);
  return result;
}

LoadResult load(const std::string& text, const std::string& source_path, EnvLookup env) {
  DiagnosticSink sink;
  detail::LoadContext ctx{sink, {}};
  if (!source_path.empty()) ctx.base_dir = std::filesystem::path(source_path).parent_path();

  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    sink.error("", e.mark.line + 1, "YAML syntax error: " + e.msg);
    return finish(sink, nullptr);
  }

  // A bare list of routes is an old Pomerium form (config/testdata/basic.yaml).
  std::optional<Value> bare_routes;
  Value top_value{YAML::Node(YAML::NodeType::Map), "", false};
  if (root.IsSequence()) {
    sink.warning("", detail::line_of(root),
                 "the file is a list of routes; accepted, but put them under routes:");
    bare_routes = Value{root, "routes", false};
  } else if (root.IsMap()) {
    top_value.node = root;
  } else if (root.IsScalar()) {
    sink.error("", detail::line_of(root), "the configuration must be a map of keys to values");
    return finish(sink, nullptr);
  }

  Mapping top(top_value, detail::top_level_keys(), sink, detail::top_level_prefixes());
  detail::apply_environment(top, env, sink);
  top.report_key_uses(sink);

  auto config = std::make_shared<Config>();
  config->source_path = source_path;
  Options& options = config->options;
  detail::load_tls_options(top, ctx, options);
  detail::load_general_options(top, ctx, options);

  detail::RouteList routes;
  if (const Value* policy = top.find("policy")) detail::load_routes(*policy, options, ctx, routes);
  if (bare_routes) detail::load_routes(*bare_routes, options, ctx, routes);
  if (const Value* list = top.find("routes")) detail::load_routes(*list, options, ctx, routes);
  detail::assign_route_ids(routes, ctx);
  config->routes = std::move(routes.routes);

  if (!options.insecure_server && !options.autocert && options.certificates.empty() &&
      !detail::has_certificate_keys(top)) {
    // Pomerium serves a generated self-signed certificate in this case; so do we, with a warning.
    sink.warning("", 0,
                 "no TLS certificate configured: a self-signed certificate will be served (set "
                 "certificates/certificate_file, or insecure_server behind a TLS terminator)");
  }
  return finish(sink, std::move(config));
}

}  // namespace

LoadResult load_config_text(const std::string& text, const std::string& source_path,
                            EnvLookup env) {
  try {
    return load(text, source_path, env);
  } catch (const std::exception& e) {
    LoadResult result;
    result.diagnostics.push_back({Diagnostic::Severity::kError, "", 0,
                                  std::string("internal error while loading: ") + e.what()});
    return result;
  }
}

LoadResult load_config_file(const std::string& path, EnvLookup env) {
  std::string error;
  std::optional<std::string> text;
  try {
    text = detail::read_file(path, error);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!text) {
    LoadResult result;
    result.diagnostics.push_back(
        {Diagnostic::Severity::kError, "", 0, "cannot read config file " + path + ": " + error});
    return result;
  }
  return load_config_text(*text, path, env);
}

void check_serving_requirements(LoadResult& result) {
  if (!result.config) return;
  const Options& options = result.config->options;
  if (!options.has_service("proxy") && !options.has_service("authenticate")) return;
  bool protected_route = false;
  for (const auto& route : result.config->routes) {
    protected_route = protected_route || !route.allow_public_unauthenticated_access;
  }
  if (!protected_route) return;
  bool failed = false;
  auto require = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) return;
    failed = true;
    result.diagnostics.push_back(
        {Diagnostic::Severity::kError, std::string(key), 0,
         std::string(key) + " is required: routes that are not public need sign-in"});
  };
  if (options.idp_provider != "google") require("idp_provider_url", options.idp_provider_url);
  require("idp_client_id", options.idp_client_id);
  require("idp_client_secret", options.idp_client_secret);
  if (failed) result.config = nullptr;
}

}  // namespace portcullis::config
