#pragma once
// An evaluation input decoded from JSON, owning its data: for `portcullis policy eval`, tests and
// fuzzing. The proxy builds EvalInput views over its own records instead.
//
// {"http": {"method", "host", "path", "headers": {name: value or [values]}, "ip"},
//  "session": {"id", "user_id", "claims": {...}},          (absent: not signed in)
//  "user": {"id", "email", "name", "claims": {...}},
//  "directory_user": {"group_ids": [...]},
//  "client_certificate": {"presented", "valid", "fingerprint", "spki_hash",
//                         "san_dns": [...], "san_email": [...], "san_uri": [...]},
//  "records": {type: {id: data}},
//  "now": "RFC 3339 time"}                                 (absent: `default_now`)

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/input.h"

namespace portcullis::policy {

class JsonInput : public RecordLookup {
 public:
  // Throws PolicyError naming the field that is wrong.
  JsonInput(const nlohmann::json& doc, std::chrono::system_clock::time_point default_now);
  JsonInput(const JsonInput&) = delete;
  JsonInput& operator=(const JsonInput&) = delete;

  const EvalInput& input() const { return input_; }

  const nlohmann::json* find(std::string_view type, std::string_view id) const override;
  const nlohmann::json* find_by_field(std::string_view type, std::string_view field,
                                      std::string_view value) const override;

 private:
  std::string method_, host_, path_;
  std::vector<std::pair<std::string, std::string>> header_storage_;
  std::vector<HeaderView> headers_;
  std::string fingerprint_, spki_hash_;
  std::vector<std::string> san_dns_, san_email_, san_uri_;
  std::string session_id_, session_user_id_;
  nlohmann::json session_claims_, user_claims_;
  std::string user_id_, user_email_, user_name_;
  std::vector<std::string> group_ids_;
  nlohmann::json records_ = nlohmann::json::object();
  EvalInput input_;
};

}  // namespace portcullis::policy
