#pragma once
// The databroker records a sign-in creates and a refresh updates: session.Session (tokens,
// claims, expiry) and user.User (name, email, claims), in Pomerium's shapes.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "databroker/record_store.h"
#include "identity/authenticator.h"
#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::identity {

inline constexpr std::string_view kSessionRecordType = "type.googleapis.com/session.Session";
inline constexpr std::string_view kUserRecordType = "type.googleapis.com/user.User";

using ClaimMap = google::protobuf::Map<std::string, google::protobuf::ListValue>;

// Claims as Pomerium stores them: every claim a list of values (an array's elements, or the one
// value), nested objects flattened into dotted names ("address.country").
void flatten_claims(const nlohmann::json& claims, ClaimMap& out);

// The claims back as JSON: one-element lists become the element, longer lists arrays.
nlohmann::json claims_to_json(const ClaimMap& claims);

// Writes the tokens and claims of `identity` into `session` (oauth_token, id_token, claims). An
// identity without an ID token or without claims leaves the session's previous ones in place.
void apply_identity(const Identity& identity, session::Session& session);

// Sets name, email and claims of `user` from `claims` (PopulateFromClaims).
void populate_user(const nlohmann::json& claims, user::User& user);

// Rebuilds the token the Authenticator needs from a stored session.
OAuthToken oauth_token_of(const session::Session& session);

// A record of `type` and `id` holding `message`.
databroker::Record make_record(std::string_view type, const std::string& id,
                               const google::protobuf::Message& message);

google::protobuf::Timestamp to_timestamp(TimePoint t);
TimePoint from_timestamp(const google::protobuf::Timestamp& t);

}  // namespace portcullis::identity
