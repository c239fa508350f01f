#include "identity/session_records.h"

namespace portcullis::identity {
namespace {

google::protobuf::Value to_value(const nlohmann::json& json) {
  google::protobuf::Value value;
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      value.set_null_value(google::protobuf::NULL_VALUE);
      break;
    case nlohmann::json::value_t::boolean:
      value.set_bool_value(json.get<bool>());
      break;
    case nlohmann::json::value_t::string:
      value.set_string_value(json.get<std::string>());
      break;
    case nlohmann::json::value_t::array:
      for (const auto& item : json) *value.mutable_list_value()->add_values() = to_value(item);
      break;
    case nlohmann::json::value_t::object:
      for (const auto& [key, item] : json.items()) {
        (*value.mutable_struct_value()->mutable_fields())[key] = to_value(item);
      }
      break;
    default:  // numbers
      value.set_number_value(json.get<double>());
      break;
  }
  return value;
}

nlohmann::json from_value(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kNumberValue: {
      double n = value.number_value();
      if (n == static_cast<double>(static_cast<std::int64_t>(n))) {
        return static_cast<std::int64_t>(n);
      }
      return n;
    }
    case google::protobuf::Value::kListValue: {
      auto array = nlohmann::json::array();
      for (const auto& item : value.list_value().values()) array.push_back(from_value(item));
      return array;
    }
    case google::protobuf::Value::kStructValue: {
      auto object = nlohmann::json::object();
      for (const auto& [key, item] : value.struct_value().fields()) object[key] = from_value(item);
      return object;
    }
    default:
      return nullptr;
  }
}

void flatten_into(const std::string& prefix, const nlohmann::json& claims, ClaimMap& out) {
  for (const auto& [key, value] : claims.items()) {
    std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      flatten_into(name, value, out);
      continue;
    }
    google::protobuf::ListValue list;
    if (value.is_array()) {
      for (const auto& item : value) *list.add_values() = to_value(item);
    } else {
      *list.add_values() = to_value(value);
    }
    out[name] = std::move(list);
  }
}

std::string first_string(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array() && !it->empty() && it->front().is_string()) return it->front();
  return "";
}

}  // namespace

void flatten_claims(const nlohmann::json& claims, ClaimMap& out) {
  if (claims.is_object()) flatten_into("", claims, out);
}

nlohmann::json claims_to_json(const ClaimMap& claims) {
  auto json = nlohmann::json::object();
  for (const auto& [name, list] : claims) {
    if (list.values_size() == 1) {
      json[name] = from_value(list.values(0));
    } else {
      auto array = nlohmann::json::array();
      for (const auto& item : list.values()) array.push_back(from_value(item));
      json[name] = std::move(array);
    }
  }
  return json;
}

google::protobuf::Timestamp to_timestamp(TimePoint t) {
  auto since = t.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds.count());
  ts.set_nanos(static_cast<int>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since - seconds).count()));
  return ts;
}

TimePoint from_timestamp(const google::protobuf::Timestamp& t) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

void apply_identity(const Identity& identity, session::Session& session) {
  auto* oauth = session.mutable_oauth_token();
  oauth->set_access_token(identity.token.access_token);
  oauth->set_token_type(identity.token.token_type);
  oauth->set_refresh_token(identity.token.refresh_token);
  if (identity.token.expires_at != TimePoint{}) {
    *oauth->mutable_expires_at() = to_timestamp(identity.token.expires_at);
  } else {
    oauth->clear_expires_at();
  }
  if (identity.id_token) {
    auto* id = session.mutable_id_token();
    id->set_issuer(identity.id_token->issuer);
    id->set_subject(identity.id_token->subject);
    *id->mutable_issued_at() = to_timestamp(identity.id_token->issued_at);
    *id->mutable_expires_at() = to_timestamp(identity.id_token->expires_at);
    id->set_raw(identity.id_token->raw);
  }
  if (identity.claims.is_object() && !identity.claims.empty()) {
    session.mutable_claims()->clear();
    flatten_claims(identity.claims, *session.mutable_claims());
  }
}

void populate_user(const nlohmann::json& claims, user::User& user) {
  if (auto name = first_string(claims, "name"); !name.empty()) user.set_name(name);
  if (auto email = first_string(claims, "email"); !email.empty()) user.set_email(email);
  user.mutable_claims()->clear();
  flatten_claims(claims, *user.mutable_claims());
}

OAuthToken oauth_token_of(const session::Session& session) {
  OAuthToken token;
  token.access_token = session.oauth_token().access_token();
  token.token_type = session.oauth_token().token_type();
  token.refresh_token = session.oauth_token().refresh_token();
  if (session.oauth_token().has_expires_at()) {
    token.expires_at = from_timestamp(session.oauth_token().expires_at());
  }
  return token;
}

databroker::Record make_record(std::string_view type, const std::string& id,
                               const google::protobuf::Message& message) {
  databroker::Record record;
  record.set_type(std::string(type));
  record.set_id(id);
  record.mutable_data()->PackFrom(message);
  return record;
}

}  // namespace portcullis::identity
