// portcullis: the command line. `portcullis --config FILE` serves; `portcullis validate
// --config FILE` checks a file and prints every problem.

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "app/databroker_service.h"
#include "app/policy_command.h"
#include "app/server.h"
#include "config/config.h"
#include "telemetry/log.h"

namespace {

using portcullis::config::Diagnostic;

int validate(const std::string& path) {
  auto result = portcullis::config::load_config_file(path);
  portcullis::config::check_serving_requirements(result);
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : result.diagnostics) {
    std::cout << d.to_string() << "\n";
    (d.severity == Diagnostic::Severity::kError ? errors : warnings)++;
  }
  if (result.ok()) {
    std::cout << path << ": ok (" << result.config->routes.size() << " routes, " << warnings
              << " warnings)\n";
    return 0;
  }
  std::cout << path << ": " << errors << " errors, " << warnings << " warnings\n";
  return 1;
}

int serve(const std::string& path) {
  auto result = portcullis::config::load_config_file(path);
  portcullis::config::check_serving_requirements(result);
  if (result.ok()) portcullis::telemetry::set_log_level(result.config->options.log_level);
  for (const auto& d : result.diagnostics) {
    bool error = d.severity == Diagnostic::Severity::kError;
    portcullis::telemetry::log(
        error ? portcullis::telemetry::LogLevel::kError : portcullis::telemetry::LogLevel::kWarn,
        error ? "config error" : "config warning",
        {{"key", d.key}, {"line", d.line}, {"detail", d.message}, {"file", path}});
  }
  if (!result.ok()) {
    portcullis::telemetry::log_error("invalid configuration: not starting", {{"file", path}});
    return 1;
  }
  const auto& options = result.config->options;
  if (!options.has_service("proxy") && !options.has_service("databroker")) {
    portcullis::telemetry::log_error(
        "only the proxy and databroker services are available in this version: set services to "
        "all, proxy or databroker");
    return 1;
  }
  portcullis::telemetry::log_info("starting", {{"version", PORTCULLIS_VERSION}, {"file", path}});
  if (!options.has_service("proxy")) return portcullis::app::serve_without_proxy(result.config);
  portcullis::app::Server server(path, result.config);
  return server.run();
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"Portcullis: an identity-aware access proxy that reads Pomerium configuration"};
  app.set_version_flag("--version", std::string("portcullis ") + PORTCULLIS_VERSION);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (YAML or JSON)");

  auto* validate_cmd =
      app.add_subcommand("validate", "check a configuration file and print every problem");
  std::string validate_path;
  validate_cmd->add_option("-c,--config", validate_path, "configuration file")->required();
  portcullis::app::PolicyCommand policy_cmd(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*validate_cmd) return validate(validate_path);
  if (policy_cmd.selected()) return policy_cmd.run();
  if (config_path.empty()) {
    std::cerr << "portcullis: --config FILE is required (see --help)\n";
    return 2;
  }
  return serve(config_path);
}
