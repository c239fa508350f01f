#include "authorize/principal.h"

#include <cmath>
#include <cstdio>

namespace portcullis::authorize {
namespace {

// Go's fmt.Sprint of a float64: integers without a fraction, otherwise the shortest form.
std::string number_text(double value) {
  if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 1e21) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out.push_back(',');
    out.append(v);
  }
  return out;
}

// A Struct field as a string list (every element a string), else false.
bool struct_strings(const google::protobuf::Struct* record, const char* field,
                    std::vector<std::string>& out) {
  if (record == nullptr) return false;
  auto it = record->fields().find(field);
  if (it == record->fields().end() || !it->second.has_list_value()) return false;
  std::vector<std::string> values;
  for (const auto& v : it->second.list_value().values()) {
    if (!v.has_string_value()) return false;
    values.push_back(v.string_value());
  }
  out = std::move(values);
  return true;
}

// A Struct field printed (Go's fmt.Sprint of the value), else false.
bool struct_string(const google::protobuf::Struct* record, const char* field, std::string& out) {
  if (record == nullptr) return false;
  auto it = record->fields().find(field);
  if (it == record->fields().end()) return false;
  const auto& v = it->second;
  if (v.has_string_value()) {
    out = v.string_value();
  } else if (v.has_number_value()) {
    out = number_text(v.number_value());
  } else if (v.has_bool_value()) {
    out = v.bool_value() ? "true" : "false";
  } else {
    out = to_json(v).dump();
  }
  return true;
}

}  // namespace

nlohmann::json to_json(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kNumberValue:
      return value.number_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue: {
      auto object = nlohmann::json::object();
      for (const auto& [k, v] : value.struct_value().fields()) object[k] = to_json(v);
      return object;
    }
    case google::protobuf::Value::kListValue: {
      auto array = nlohmann::json::array();
      for (const auto& v : value.list_value().values()) array.push_back(to_json(v));
      return array;
    }
    default:
      return nullptr;
  }
}

nlohmann::json claims_to_json(
    const google::protobuf::Map<std::string, google::protobuf::ListValue>& claims) {
  auto object = nlohmann::json::object();
  for (const auto& [name, list] : claims) {
    auto array = nlohmann::json::array();
    for (const auto& v : list.values()) array.push_back(to_json(v));
    object[name] = std::move(array);
  }
  return object;
}

bool claim_strings(const nlohmann::json& claims, std::string_view name,
                   std::vector<std::string>& out) {
  if (!claims.is_object()) return false;
  auto it = claims.find(name);
  if (it == claims.end()) return false;
  out.clear();
  auto add = [&](const nlohmann::json& v) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_boolean()) {
      out.push_back(v.get<bool>() ? "true" : "false");
    } else if (v.is_number()) {
      out.push_back(number_text(v.get<double>()));
    }
  };
  if (it->is_array()) {
    for (const auto& v : *it) add(v);
  } else {
    add(*it);
  }
  return true;
}

policy::SessionView Principal::session_view() const {
  policy::SessionView view;
  view.present = signed_in();
  view.id = session_id;
  view.user_id = user_id;
  view.claims = &session_claims;
  return view;
}

policy::UserView Principal::user_view() const {
  policy::UserView view;
  view.id = user_id;
  view.email = email;
  view.name = name;
  view.claims = &user_claims;
  return view;
}

policy::DirectoryUserView Principal::directory_user_view() const {
  return policy::DirectoryUserView{group_ids};
}

void build_principal(Principal& out, SessionRecord session, UserRecord user,
                     StructRecord directory_user, std::uint64_t groups_version,
                     SessionLookup* lookup) {
  out = Principal{};
  out.session = std::move(session);
  out.user = std::move(user);
  out.directory_user = std::move(directory_user);
  out.groups_version = groups_version;
  if (!out.session) return;

  out.session_id = out.session->id();
  out.user_id = out.session->user_id();
  out.session_claims = claims_to_json(out.session->claims());
  if (out.user) out.user_claims = claims_to_json(out.user->claims());

  const google::protobuf::Struct* directory = out.directory_user.get();
  if (!struct_string(directory, "email", out.email) && out.user) out.email = out.user->email();

  std::vector<std::string> names;
  if (claim_strings(out.session_claims, "name", names) ||
      claim_strings(out.user_claims, "name", names)) {
    out.name = join(names);
  }

  struct_strings(directory, "group_ids", out.group_ids);
  if (!out.group_ids.empty()) {
    out.groups = out.group_ids;
    if (lookup != nullptr) {
      for (const auto& id : out.group_ids) {
        std::string name;
        if (struct_string(lookup->directory_group(id).get(), "name", name)) {
          out.groups.push_back(std::move(name));
        }
      }
    }
  } else {
    claim_strings(out.session_claims, "groups", out.groups);
  }
}

}  // namespace portcullis::authorize
