#include <array>
#include <utility>

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

using Factory = CriterionPtr (*)(const CriterionSpec&);

constexpr std::array<std::pair<std::string_view, Factory>, 19> kCriteria = {{
    {"accept", make_accept},
    {"authenticated_user", make_authenticated_user},
    {"claim", make_claim},
    {"client_certificate", make_client_certificate},
    {"cors_preflight", make_cors_preflight},
    {"date", make_date},
    {"day_of_week", make_day_of_week},
    {"device", make_device},
    {"domain", make_domain},
    {"email", make_email},
    {"groups", make_groups},
    {"http_method", make_http_method},
    {"http_path", make_http_path},
    {"invalid_client_certificate", make_invalid_client_certificate},
    {"record", make_record},
    {"reject", make_reject},
    {"source_ip", make_source_ip},
    {"time_of_day", make_time_of_day},
    {"user", make_user},
}};

}  // namespace

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    default:
      return "number";
  }
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

CriterionPtr make_criterion(const CriterionSpec& spec) {
  for (const auto& [name, factory] : kCriteria) {
    if (name != spec.name) continue;
    if (name != "claim" && !spec.sub_path.empty()) {
      throw PolicyError("criterion \"" + std::string(name) + "\" takes no sub-path (got \"" +
                        std::string(spec.name) + "/" + std::string(spec.sub_path) + "\")");
    }
    return factory(spec);
  }
  throw PolicyError("unknown policy criterion \"" + std::string(spec.name) + "\"");
}

void check_unused_data(const CriterionSpec& spec) {
  if (spec.data.is_boolean() && !spec.data.get<bool>()) {
    throw PolicyError("criterion \"" + std::string(spec.name) +
                      "\" ignores its value, so false would still match: write true, or remove it");
  }
}

}  // namespace portcullis::policy
