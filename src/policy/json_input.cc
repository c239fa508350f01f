#include "policy/json_input.h"

#include "policy/criterion.h"
#include "policy/time_text.h"

namespace portcullis::policy {

namespace {

const nlohmann::json* member(const nlohmann::json& object, const char* key, const char* where) {
  if (!object.is_object()) throw PolicyError(std::string(where) + " must be an object");
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string text(const nlohmann::json& object, const char* key, const char* where) {
  const auto* value = member(object, key, where);
  if (value == nullptr) return "";
  if (!value->is_string()) {
    throw PolicyError(std::string(where) + "." + key + " must be a string, got " +
                      json_type_name(*value));
  }
  return value->get<std::string>();
}

bool flag(const nlohmann::json& object, const char* key, const char* where) {
  const auto* value = member(object, key, where);
  if (value == nullptr) return false;
  if (!value->is_boolean()) {
    throw PolicyError(std::string(where) + "." + key + " must be a boolean");
  }
  return value->get<bool>();
}

std::vector<std::string> strings(const nlohmann::json& object, const char* key, const char* where) {
  std::vector<std::string> out;
  const auto* value = member(object, key, where);
  if (value == nullptr) return out;
  if (!value->is_array()) {
    throw PolicyError(std::string(where) + "." + key + " must be an array of strings");
  }
  for (const auto& item : *value) {
    if (!item.is_string()) {
      throw PolicyError(std::string(where) + "." + key + " must be an array of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

nlohmann::json claims(const nlohmann::json& object, const char* where) {
  const auto* value = member(object, "claims", where);
  if (value == nullptr) return nlohmann::json::object();
  if (!value->is_object()) throw PolicyError(std::string(where) + ".claims must be an object");
  return *value;
}

}  // namespace

JsonInput::JsonInput(const nlohmann::json& doc, std::chrono::system_clock::time_point default_now) {
  if (!doc.is_object()) throw PolicyError("the input must be a JSON object");
  input_.now = default_now;
  if (const auto* http = member(doc, "http", "input")) {
    method_ = text(*http, "method", "http");
    host_ = text(*http, "host", "http");
    path_ = text(*http, "path", "http");
    if (std::string ip = text(*http, "ip", "http"); !ip.empty()) {
      input_.request.ip = IpAddress::parse(ip);
      if (!input_.request.ip) throw PolicyError("http.ip is not an IP address: " + ip);
    }
    if (const auto* headers = member(*http, "headers", "http")) {
      if (!headers->is_object()) throw PolicyError("http.headers must be an object");
      for (const auto& [name, value] : headers->items()) {
        if (value.is_string()) {
          header_storage_.emplace_back(name, value.get<std::string>());
        } else if (value.is_array()) {
          for (const auto& v : value) {
            if (!v.is_string()) throw PolicyError("http.headers." + name + " must hold strings");
            header_storage_.emplace_back(name, v.get<std::string>());
          }
        } else {
          throw PolicyError("http.headers." + name + " must be a string or an array of strings");
        }
      }
    }
  }
  for (const auto& [name, value] : header_storage_) headers_.push_back({name, value});
  input_.request.method = method_;
  input_.request.host = host_;
  input_.request.path = path_;
  input_.request.headers = headers_;

  if (const auto* cert = member(doc, "client_certificate", "input")) {
    auto& c = input_.request.client_certificate;
    c.presented = flag(*cert, "presented", "client_certificate");
    c.valid = flag(*cert, "valid", "client_certificate");
    fingerprint_ = text(*cert, "fingerprint", "client_certificate");
    for (auto& ch : fingerprint_) ch = ch >= 'A' && ch <= 'F' ? char(ch - 'A' + 'a') : ch;
    spki_hash_ = text(*cert, "spki_hash", "client_certificate");
    san_dns_ = strings(*cert, "san_dns", "client_certificate");
    san_email_ = strings(*cert, "san_email", "client_certificate");
    san_uri_ = strings(*cert, "san_uri", "client_certificate");
    c.fingerprint_sha256 = fingerprint_;
    c.spki_hash = spki_hash_;
    c.san_dns = san_dns_;
    c.san_email = san_email_;
    c.san_uri = san_uri_;
  }

  if (const auto* session = member(doc, "session", "input")) {
    input_.session.present = true;
    session_id_ = text(*session, "id", "session");
    session_user_id_ = text(*session, "user_id", "session");
    session_claims_ = claims(*session, "session");
    input_.session.id = session_id_;
    input_.session.user_id = session_user_id_;
    input_.session.claims = &session_claims_;
  }
  if (const auto* user = member(doc, "user", "input")) {
    user_id_ = text(*user, "id", "user");
    user_email_ = text(*user, "email", "user");
    user_name_ = text(*user, "name", "user");
    user_claims_ = claims(*user, "user");
    input_.user.id = user_id_;
    input_.user.email = user_email_;
    input_.user.name = user_name_;
    input_.user.claims = &user_claims_;
  }
  if (const auto* directory_user = member(doc, "directory_user", "input")) {
    group_ids_ = strings(*directory_user, "group_ids", "directory_user");
    input_.directory_user.group_ids = group_ids_;
  }
  if (const auto* records = member(doc, "records", "input")) {
    if (!records->is_object()) throw PolicyError("records must be an object of types");
    for (const auto& [type, by_id] : records->items()) {
      if (!by_id.is_object()) throw PolicyError("records." + type + " must be an object of ids");
    }
    records_ = *records;
  }
  input_.records = this;
  if (std::string now = text(doc, "now", "input"); !now.empty()) {
    auto t = parse_timestamp(now);
    if (!t) throw PolicyError("now is not an RFC 3339 time: " + now);
    input_.now = *t;
  }
}

const nlohmann::json* JsonInput::find(std::string_view type, std::string_view id) const {
  auto by_type = records_.find(type);
  if (by_type == records_.end()) return nullptr;
  auto it = by_type->find(id);
  return it == by_type->end() ? nullptr : &*it;
}

const nlohmann::json* JsonInput::find_by_field(std::string_view type, std::string_view field,
                                               std::string_view value) const {
  auto by_type = records_.find(type);
  if (by_type == records_.end()) return nullptr;
  for (const auto& [id, data] : by_type->items()) {
    (void)id;
    if (!data.is_object()) continue;
    auto it = data.find(field);
    if (it != data.end() && it->is_string() && it->get_ref<const std::string&>() == value) {
      return &data;
    }
  }
  return nullptr;
}

}  // namespace portcullis::policy
