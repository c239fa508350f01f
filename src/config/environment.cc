#include "config/environment.h"

#include "config/known_keys.h"
#include "config/text.h"

namespace portcullis::config::detail {
namespace {

// Keys whose value is a map of strings: a scalar env value is `name=value,...`.
bool is_string_map_key(std::string_view key) {
  return key == "idp_request_params" || key == "set_response_headers" || key == "runtime_flags";
}

// `a=b,c:d` as a YAML map; nullopt when an item has no separator.
std::optional<YAML::Node> pairs_to_map(const std::string& text, bool colon_only) {
  YAML::Node map(YAML::NodeType::Map);
  for (const auto& item : split(text, ',')) {
    if (item.empty()) continue;
    auto separator = colon_only ? item.find(':') : item.find_first_of("=:");
    if (separator == std::string::npos) return std::nullopt;
    map[trim(item.substr(0, separator))] = trim(item.substr(separator + 1));
  }
  return map;
}

// The env value as a YAML node; structured text is parsed, the rest stays a scalar.
std::optional<YAML::Node> env_node(std::string_view key, const std::string& name,
                                   const std::string& text, DiagnosticSink& sink) {
  std::string trimmed = trim(text);
  if (!trimmed.empty() && (trimmed.front() == '{' || trimmed.front() == '[')) {
    try {
      return YAML::Load(trimmed);
    } catch (const YAML::Exception& e) {
      sink.error(name, 0, "not valid YAML/JSON: " + e.msg);
      return std::nullopt;
    }
  }
  if (is_string_map_key(key)) {
    auto map = pairs_to_map(trimmed, key == "set_response_headers");
    if (!map) {
      sink.error(name, 0,
                 key == "set_response_headers" ? "expected Name:Value pairs separated by commas"
                                               : "expected name=value pairs separated by commas");
    }
    return map;
  }
  return YAML::Node(text);
}

void apply_policy(Mapping& top, EnvLookup env, DiagnosticSink& sink) {
  auto text = env("POLICY");
  if (!text || trim(*text).empty()) return;
  auto decoded = decode_base64_lenient(*text);
  if (!decoded) {
    sink.error("POLICY", 0, "must be the base64 encoding of YAML or JSON routes");
    return;
  }
  try {
    top.set("policy", Value{YAML::Load(*decoded), "POLICY", true});
  } catch (const YAML::Exception& e) {
    sink.error("POLICY", 0, "decoded value is not valid YAML/JSON: " + e.msg);
  }
}

void apply_downstream_mtls(Mapping& top, EnvLookup env, DiagnosticSink& sink) {
  YAML::Node merged(YAML::NodeType::Map);
  bool any = false;
  if (const Value* file = top.find("downstream_mtls")) {
    if (file->from_env) return;  // DOWNSTREAM_MTLS itself was given
    if (file->is_map()) merged = YAML::Clone(file->node);
  }
  for (const auto& spec : downstream_mtls_keys()) {
    std::string name = "DOWNSTREAM_MTLS_" + to_upper(spec.name);
    auto text = env(name.c_str());
    if (!text) continue;
    auto node = env_node(spec.name, name, *text, sink);
    if (!node) continue;
    merged[std::string(spec.name)] = *node;
    any = true;
  }
  if (any) top.set("downstream_mtls", Value{merged, "DOWNSTREAM_MTLS", true});
}

}  // namespace

void apply_environment(Mapping& top, EnvLookup env, DiagnosticSink& sink) {
  if (env == nullptr) return;
  for (const auto& spec : top_level_keys()) {
    // Routes come from POLICY only; removed keys are not read from the environment (an
    // unrelated variable must not break start-up).
    if (spec.name == "routes" || spec.name == "policy" || spec.use == KeyUse::kRemoved) continue;
    std::string name = to_upper(spec.name);
    auto text = env(name.c_str());
    if (!text) continue;
    if (auto node = env_node(spec.name, name, *text, sink)) {
      top.set(std::string(spec.name), Value{*node, name, true});
    }
  }
  if (auto headers = env("HEADERS")) {
    if (auto node = env_node("set_response_headers", "HEADERS", *headers, sink)) {
      top.set("set_response_headers", Value{*node, "HEADERS", true});
    }
  }
  apply_downstream_mtls(top, env, sink);
  apply_policy(top, env, sink);
}

}  // namespace portcullis::config::detail
