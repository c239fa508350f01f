#pragma once
// IdentityManager: keeps signed-in sessions' IdP tokens fresh and removes sessions that are over
// (reference §6.5). It runs under the databroker lease "identity_manager", so exactly one
// instance in a deployment does the work.
//
// While it holds the lease, a follower thread streams session.Session records (SyncLatest, then
// Sync) into the schedule, and the lease task's thread refreshes each session when its time comes:
//   due = earliest of oauth_token.expires_at - grace, id_token.expires_at - grace and expires_at,
//         never sooner than last refresh + cool-off.
// A refresh deletes the session (a tombstone Put) when it has expired, when no authenticator
// serves its idp_id, or when the provider refuses the refresh; a temporary failure is retried
// after the cool-off. A successful refresh Patches the session (oauth_token, id_token, claims)
// and Puts the user with the new claims.
//
// Threading: the schedule is guarded by mutex_. Authenticator coroutines run on a private
// io_context inside refresh_due(), on the calling thread; databroker calls block that thread.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "databroker/client.h"
#include "databroker/leaser.h"
#include "identity/authenticator.h"
#include "identity/clock.h"
#include "session.pb.h"

namespace portcullis::identity {

struct IdentityManagerOptions {
  std::chrono::seconds grace{std::chrono::minutes(1)};
  std::chrono::seconds cool_off{std::chrono::seconds(10)};
  // Longest real-time wait between schedule checks (bounds the reaction to clock changes).
  std::chrono::milliseconds max_wait{std::chrono::seconds(1)};
  databroker::LeaserOptions lease;
};

inline constexpr std::string_view kIdentityManagerLease = "identity_manager";

// The session's next refresh time per the rule above; nullopt when it carries no time at all.
std::optional<TimePoint> next_session_refresh(const session::Session& session,
                                              TimePoint last_refresh, std::chrono::seconds grace,
                                              std::chrono::seconds cool_off);

class IdentityManager {
 public:
  // The authenticator for an idp_id, or null when none is configured for it.
  using AuthenticatorLookup = std::function<std::shared_ptr<Authenticator>(const std::string&)>;

  // `broker` and `clock` must outlive the manager.
  IdentityManager(databroker::DataBroker& broker, AuthenticatorLookup authenticators,
                  const Clock& clock, IdentityManagerOptions options = {});
  ~IdentityManager();  // stops
  IdentityManager(const IdentityManager&) = delete;
  IdentityManager& operator=(const IdentityManager&) = delete;

  // Competes for the lease and runs while holding it.
  void start();
  void stop();
  bool holding_lease() const { return leaser_ && leaser_->holding(); }

  // One lease tenure's work, until `stop` (what the leaser runs; public for tests).
  void run(std::stop_token stop);

  // The schedule, driven by run() and directly by tests.
  void track(const session::Session& session);
  void forget(const std::string& session_id);
  // Reloads every session from the databroker (SyncLatest); returns the record version reached.
  databroker::Result<databroker::LatestSnapshot> load();
  std::optional<TimePoint> next_due() const;
  std::size_t tracked() const;
  // Refreshes or deletes every session due by clock.now(). Returns how many were handled.
  std::size_t refresh_due(std::stop_token stop = {});

 private:
  struct Entry {
    session::Session session;
    TimePoint last_refresh{};
  };
  enum class Outcome { kRefreshed, kRetryLater, kDeleted, kSkipped };

  Outcome refresh_one(Entry entry, std::stop_token stop);
  void delete_session(const session::Session& session, std::string_view reason);
  void store_user(const session::Session& session);
  void follow(std::stop_token stop);
  void apply_change(databroker::Record&& record);
  void wake();

  databroker::DataBroker& broker_;
  const AuthenticatorLookup authenticators_;
  const Clock& clock_;
  const IdentityManagerOptions options_;

  mutable std::mutex mutex_;  // guards entries_ and changed_
  std::condition_variable_any changed_cv_;
  bool changed_ = false;
  std::unordered_map<std::string, Entry> entries_;

  std::unique_ptr<databroker::Leaser> leaser_;
};

}  // namespace portcullis::identity
