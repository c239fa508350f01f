#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_support.h"

namespace portcullis::config::testing {
namespace {

thread_local const std::map<std::string, std::string>* current_env = nullptr;

}  // namespace

ScopedEnv::ScopedEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {
  current_env = &vars_;
}

ScopedEnv::~ScopedEnv() {
  current_env = nullptr;
}

std::optional<std::string> fake_env(const char* name) {
  if (current_env == nullptr) return std::nullopt;
  auto it = current_env->find(name);
  if (it == current_env->end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> empty_env(const char*) {
  return std::nullopt;
}

LoadResult load_yaml(const std::string& yaml, std::map<std::string, std::string> env,
                     const std::string& source_path) {
  ScopedEnv scoped(std::move(env));
  return load_config_text(yaml, source_path, fake_env);
}

LoadResult load_insecure(const std::string& yaml, std::map<std::string, std::string> env) {
  return load_yaml("insecure_server: true\n" + yaml, std::move(env));
}

const Diagnostic* find_diagnostic(const LoadResult& result, std::string_view key) {
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.key == key) return &diagnostic;
  }
  return nullptr;
}

int count_errors(const LoadResult& result) {
  int count = 0;
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.severity == Diagnostic::Severity::kError) ++count;
  }
  return count;
}

int count_warnings(const LoadResult& result) {
  return static_cast<int>(result.diagnostics.size()) - count_errors(result);
}

std::string describe(const LoadResult& result) {
  std::string text;
  for (const auto& diagnostic : result.diagnostics) text += diagnostic.to_string() + "\n";
  return text.empty() ? "(no diagnostics)\n" : text;
}

std::string testdata_path(std::string_view name) {
  return std::string(PORTCULLIS_SOURCE_DIR) + "/tests/unit/config/testdata/" + std::string(name);
}

std::string read_testdata(std::string_view name) {
  std::ifstream in(testdata_path(name), std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace portcullis::config::testing

// The helpers above are shared by the other config tests (this file is globbed as a test source);
// these tests pin the helpers themselves.
namespace portcullis::config::testing {
namespace {

TEST(ConfigTestSupport, Base64MatchesKnownVectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64(std::string(32, '\0')), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

TEST(ConfigTestSupport, FakeEnvironmentIsScoped) {
  {
    ScopedEnv env(std::map<std::string, std::string>{{"ADDRESS", ":1"}});
    EXPECT_EQ(fake_env("ADDRESS"), ":1");
    EXPECT_EQ(fake_env("OTHER"), std::nullopt);
  }
  EXPECT_EQ(fake_env("ADDRESS"), std::nullopt);
}

TEST(ConfigTestSupport, TestdataIsPresent) {
  EXPECT_NE(read_testdata("cert.pem").find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(read_testdata("key.pem").find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::config::testing
