#pragma once
// IdentityCache: one worker thread's principals and signed identity tokens. A principal is kept
// per session id (anonymous requests share the entry of the empty id) together with the records
// it was derived from; a lookup whose records differ (a new version of the session, the user, the
// directory user, or any directory group) rebuilds it and drops its tokens. Each entry keeps the
// tokens of a few audiences, each reused until kTokenRefreshMargin before its "exp".
//
// An entry also remembers the lookup's generation (SessionLookup::generation) read before its
// records were, so that while that has not moved, the next request of the session finds its
// principal without reading the records again (current()), and the decisions of policies that
// read nothing but the principal (policy::CompiledPolicy::principal_only) are kept with it.
//
// Bounded: a direct-mapped table of `slots` entries; a collision replaces the older entry.
// Not thread-safe: one per worker thread, so the hot path takes no lock.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "authorize/identity_jwt.h"
#include "authorize/principal.h"
#include "policy/decision.h"

namespace portcullis::authorize {

inline constexpr std::chrono::seconds kTokenRefreshMargin = std::chrono::seconds(60);

class IdentityCache {
 public:
  static constexpr std::size_t kAudiencesPerEntry = 4;
  static constexpr std::size_t kDecisionsPerEntry = 4;

  struct Entry {
    Principal principal;
    bool used = false;
    struct Token {
      std::string audience;
      IdentityToken token;
      bool used = false;
    };
    std::array<Token, kAudiencesPerEntry> tokens;
    std::size_t next_token = 0;  // round-robin replacement among tokens
    // The lookup's generation read before the principal's records were; 0: not to be reused
    // without reading them again.
    std::uint64_t records_generation = 0;
    // Decisions of principal-only policies for this principal, by the caller's key (a route);
    // dropped whenever the principal is rebuilt.
    struct KeptDecision {
      std::size_t key = 0;
      policy::Decision decision;
      bool used = false;
    };
    std::array<KeptDecision, kDecisionsPerEntry> decisions;
    std::size_t next_decision = 0;  // round-robin replacement among decisions

    // The decision kept for `key`, or null.
    const policy::Decision* kept_decision(std::size_t key) const;
    // Keeps `decision` for `key`, only ever of a principal-only policy evaluated on this
    // principal.
    void keep_decision(std::size_t key, const policy::Decision& decision);
  };

  explicit IdentityCache(std::size_t slots = 4096);

  // The principal of these records, cached or built now (`lookup` resolves group names).
  // `generation`: the lookup's generation read before the records were, when the records are
  // what a read at `session_id` returns (current() may then hand them out again); 0 otherwise.
  // The reference stays valid until the next call.
  Entry& principal(std::string_view session_id, const SessionRecord& session,
                   const UserRecord& user, const StructRecord& directory_user,
                   std::uint64_t groups_version, SessionLookup* lookup,
                   std::uint64_t generation = 0);

  // The entry of signed-in session `session_id` when principal() was last given its records with
  // this same `generation` (not 0): the lookup has not changed since they were read. Null
  // otherwise. The pointer stays valid until the next call.
  Entry* current(std::string_view session_id, std::uint64_t generation);

  // The token of `entry`'s principal for `audience`, signed now when there is none or it
  // expires within kTokenRefreshMargin of `now`.
  const IdentityToken& token(Entry& entry, std::string_view audience, const IdentitySigner& signer,
                             std::chrono::system_clock::time_point now);

  std::uint64_t principal_builds() const { return principal_builds_; }
  std::uint64_t signatures() const { return signatures_; }

 private:
  std::vector<Entry> slots_;
  std::uint64_t principal_builds_ = 0;
  std::uint64_t signatures_ = 0;
};

}  // namespace portcullis::authorize
