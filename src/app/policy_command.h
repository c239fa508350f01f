#pragma once
// `portcullis policy check POLICY` and `portcullis policy eval (--policy FILE | --config FILE
// --route ID) --input INPUT.json`: test a policy before deploying it.

#include <CLI/CLI.hpp>
#include <string>

namespace portcullis::app {

class PolicyCommand {
 public:
  // Registers the `policy` subcommand and its `check` and `eval` subcommands on `app`.
  explicit PolicyCommand(CLI::App& app);

  bool selected() const { return policy_->parsed(); }
  // Runs the chosen subcommand; the exit code (0 ok, 1 bad policy or input, 2 usage).
  int run() const;

 private:
  int check() const;
  int eval() const;

  CLI::App* policy_;
  CLI::App* check_;
  CLI::App* eval_;
  std::string check_path_;
  std::string policy_path_;
  std::string config_path_;
  std::string route_;
  std::string input_path_;
};

}  // namespace portcullis::app
