#pragma once
// Principal: who a request comes from, derived from the session, user and directory records once
// per version of those records and then read by every request of that session: the policy views
// (claims as JSON, email, group ids) and the values of the identity JWT's claims.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "authorize/session_lookup.h"
#include "policy/input.h"

namespace portcullis::authorize {

struct Principal {
  // The records it was built from; their identities are its version (see session_lookup.h).
  SessionRecord session;  // null: not signed in
  UserRecord user;
  StructRecord directory_user;
  std::uint64_t groups_version = 0;

  std::string session_id;
  std::string user_id;
  nlohmann::json session_claims = nlohmann::json::object();  // claim -> [values]
  nlohmann::json user_claims = nlohmann::json::object();
  std::string email;  // the directory user's email, else the user record's
  std::string name;   // session claim "name", else user claim "name", joined with ","
  std::vector<std::string> group_ids;  // the directory user's group_ids
  std::vector<std::string> groups;     // the JWT groups claim: ids then directory group names,
                                       // else the session's "groups" claim

  bool signed_in() const { return session != nullptr; }
  policy::SessionView session_view() const;
  policy::UserView user_view() const;
  policy::DirectoryUserView directory_user_view() const;
};

// Builds the principal of `session` (null for an anonymous request); group names are looked up
// in `lookup`.
void build_principal(Principal& out, SessionRecord session, UserRecord user,
                     StructRecord directory_user, std::uint64_t groups_version,
                     SessionLookup* lookup);

// A protobuf Value (or a claims map of ListValues) as JSON.
nlohmann::json to_json(const google::protobuf::Value& value);
nlohmann::json claims_to_json(
    const google::protobuf::Map<std::string, google::protobuf::ListValue>& claims);

// A claim's values as strings the way Pomerium joins them: strings as they are, numbers and
// booleans printed, nulls and nested values skipped. False when the claim is absent.
bool claim_strings(const nlohmann::json& claims, std::string_view name,
                   std::vector<std::string>& out);

}  // namespace portcullis::authorize
