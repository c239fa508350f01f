#pragma once
// Helpers for the configuration loader tests: a fake environment, loading shortcuts and
// diagnostic matchers.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace portcullis::config::testing {

// While alive, fake_env() answers from `vars` (one at a time per thread).
class ScopedEnv {
 public:
  explicit ScopedEnv(std::map<std::string, std::string> vars);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::map<std::string, std::string> vars_;
};

std::optional<std::string> fake_env(const char* name);
std::optional<std::string> empty_env(const char* name);

// Loads YAML text with the given environment (no process environment).
LoadResult load_yaml(const std::string& yaml, std::map<std::string, std::string> env = {},
                     const std::string& source_path = "/tmp/portcullis-test/config.yaml");
// The same with `insecure_server: true` prepended, so that no certificate is needed.
LoadResult load_insecure(const std::string& yaml, std::map<std::string, std::string> env = {});

// The first diagnostic whose key equals `key` (nullptr if none).
const Diagnostic* find_diagnostic(const LoadResult& result, std::string_view key);
int count_errors(const LoadResult& result);
int count_warnings(const LoadResult& result);
// All diagnostics, one per line (for failure messages).
std::string describe(const LoadResult& result);

std::string testdata_path(std::string_view name);
std::string read_testdata(std::string_view name);
std::string base64(std::string_view bytes);

}  // namespace portcullis::config::testing
