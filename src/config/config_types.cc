// Small members of the configuration types declared in config.h.

#include <cstdlib>

#include "config/config.h"

namespace portcullis::config {

bool Route::denies_everything() const {
  return policy_json.empty() && !allow_public_unauthenticated_access &&
         !allow_any_authenticated_user && !cors_allow_preflight && allowed_users.empty() &&
         allowed_domains.empty() && allowed_idp_claims.empty();
}

bool Options::has_service(std::string_view service) const {
  if (service == "cache") service = "databroker";
  for (const auto& name : services) {
    if (name == "all" || name == service) return true;
  }
  return false;
}

std::string Diagnostic::to_string() const {
  std::string text = severity == Severity::kError ? "error: " : "warning: ";
  if (!key.empty()) {
    text += key;
    if (line > 0) text += " (line " + std::to_string(line) + ")";
    text += ": ";
  } else if (line > 0) {
    text += "line " + std::to_string(line) + ": ";
  }
  text += message;
  return text;
}

std::optional<std::string> process_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace portcullis::config
