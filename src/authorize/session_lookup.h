#pragma once
// Where the authorize service finds the records a request is decided on: sessions, users and the
// directory's users and groups. In all-in-one mode these are replicas of the in-process
// databroker (replica_session_source.h); tests substitute fakes.
//
// Threading: a SessionSource is shared by every worker thread and must outlive the lookups it
// makes. Each worker thread makes its own SessionLookup once and only ever uses it from that
// thread, so a lookup may cache state (a replica snapshot) without locks.
//
// Record identity doubles as the record version: a replica decodes a new object whenever a record
// changes, so two lookups returning the same pointer returned the same version of the record.

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::authorize {

inline constexpr std::string_view kSessionType = "type.googleapis.com/session.Session";
inline constexpr std::string_view kUserType = "type.googleapis.com/user.User";
inline constexpr std::string_view kDirectoryUserType = "pomerium.io/DirectoryUser";
inline constexpr std::string_view kDirectoryGroupType = "pomerium.io/DirectoryGroup";

using SessionRecord = std::shared_ptr<const session::Session>;
using UserRecord = std::shared_ptr<const user::User>;
using StructRecord = std::shared_ptr<const google::protobuf::Struct>;

// One worker thread's view of the records. Not thread-safe; never blocks.
class SessionLookup {
 public:
  virtual ~SessionLookup() = default;

  // True once sessions and users have been loaded at least once. Before that a request that
  // carries a session handle cannot be decided (the session may well exist).
  virtual bool ready() = 0;
  // Null when there is no such record.
  virtual SessionRecord session(std::string_view id) = 0;
  virtual UserRecord user(std::string_view id) = 0;
  virtual StructRecord directory_user(std::string_view user_id) = 0;
  virtual StructRecord directory_group(std::string_view group_id) = 0;
  // A number that changes whenever any directory group changes: the groups claim carries group
  // names, so a cached identity token is rebuilt when it moves.
  virtual std::uint64_t directory_groups_version() = 0;

  // Read-your-writes (reference §6.3): a session handle carries the databroker versions of its
  // sign-in's writes. True when the sessions (users) read here may not hold a write at
  // `record_version` of `server_version` yet, so a missing record may still be on its way: same
  // server version, and the replica is not yet current up to that record version. A different
  // server version cannot be compared and counts as not behind. A later session() (user()) call
  // reads a snapshot at least as new as the one this answers for. The default: never behind.
  virtual bool sessions_behind(std::uint64_t server_version, std::uint64_t record_version) {
    static_cast<void>(server_version);
    static_cast<void>(record_version);
    return false;
  }
  virtual bool users_behind(std::uint64_t server_version, std::uint64_t record_version) {
    static_cast<void>(server_version);
    static_cast<void>(record_version);
    return false;
  }

  // A number that moves whenever anything read here may have changed (a record of any type, or
  // where the replicas stand): when it has not moved between two calls, every lookup made after
  // the first returns what it would return after the second, so the caller may keep what it
  // read. 0 means unknown, and nothing read may be kept. The default: 0.
  virtual std::uint64_t generation() { return 0; }

  // False while the sessions read here are not being kept current (the databroker is unreachable
  // and its syncer is retrying): a session missing here may then exist, so a request whose handle
  // names it cannot be decided. Asked only when a session is missing. The default: healthy.
  virtual bool sessions_healthy() { return true; }
};

// Makes the per-thread lookups; shared, thread-safe.
class SessionSource {
 public:
  virtual ~SessionSource() = default;
  virtual std::unique_ptr<SessionLookup> make_lookup() const = 0;
};

}  // namespace portcullis::authorize
