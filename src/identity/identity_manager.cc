#include "identity/identity_manager.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>
#include <vector>

#include "identity/session_records.h"
#include "telemetry/log.h"

namespace portcullis::identity {
namespace asio = boost::asio;
namespace {

// Runs `op` to completion on a private io_context; nullopt when `stop` was requested first (the
// coroutine frame is destroyed with the io_context).
template <class T>
std::optional<T> run_to_completion(awaitable<T> op, std::stop_token stop) {
  asio::io_context io;
  std::optional<T> result;
  asio::co_spawn(
      io, [&result, &op]() -> awaitable<void> { result.emplace(co_await std::move(op)); },
      asio::detached);
  while (!result) {
    if (stop.stop_requested()) return std::nullopt;
    io.run_for(std::chrono::milliseconds(100));
    if (io.stopped()) io.restart();
  }
  return result;
}

bool has_time(const google::protobuf::Timestamp& t) {
  return t.seconds() != 0 || t.nanos() != 0;
}

}  // namespace

std::optional<TimePoint> next_session_refresh(const session::Session& session,
                                              TimePoint last_refresh, std::chrono::seconds grace,
                                              std::chrono::seconds cool_off) {
  std::optional<TimePoint> due;
  auto consider = [&due](TimePoint t) {
    if (!due || t < *due) due = t;
  };
  if (session.has_oauth_token() && has_time(session.oauth_token().expires_at())) {
    consider(from_timestamp(session.oauth_token().expires_at()) - grace);
  }
  if (session.has_id_token() && has_time(session.id_token().expires_at())) {
    consider(from_timestamp(session.id_token().expires_at()) - grace);
  }
  if (has_time(session.expires_at())) consider(from_timestamp(session.expires_at()));
  if (!due) return std::nullopt;
  if (last_refresh != TimePoint{} && *due < last_refresh + cool_off) due = last_refresh + cool_off;
  return due;
}

IdentityManager::IdentityManager(databroker::DataBroker& broker, AuthenticatorLookup authenticators,
                                 const Clock& clock, IdentityManagerOptions options)
    : broker_(broker),
      authenticators_(std::move(authenticators)),
      clock_(clock),
      options_(options) {}

IdentityManager::~IdentityManager() {
  stop();
}

void IdentityManager::start() {
  if (leaser_) return;
  leaser_ = std::make_unique<databroker::Leaser>(
      broker_, std::string(kIdentityManagerLease), [this](std::stop_token stop) { run(stop); },
      options_.lease);
  leaser_->start();
}

void IdentityManager::stop() {
  if (leaser_) leaser_->stop();
  leaser_.reset();
}

void IdentityManager::track(const session::Session& session) {
  std::lock_guard lock(mutex_);
  auto& entry = entries_[session.id()];
  entry.session = session;  // keeps last_refresh: our own Patch comes back through Sync
  changed_ = true;
  changed_cv_.notify_all();
}

void IdentityManager::forget(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  entries_.erase(session_id);
}

std::size_t IdentityManager::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::optional<TimePoint> IdentityManager::next_due() const {
  std::lock_guard lock(mutex_);
  std::optional<TimePoint> earliest;
  for (const auto& [id, entry] : entries_) {
    auto due =
        next_session_refresh(entry.session, entry.last_refresh, options_.grace, options_.cool_off);
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  return earliest;
}

void IdentityManager::apply_change(databroker::Record&& record) {
  if (record.has_deleted_at()) {
    forget(record.id());
    return;
  }
  session::Session session;
  if (!record.data().UnpackTo(&session)) return;
  if (session.id().empty()) session.set_id(record.id());
  track(session);
}

databroker::Result<databroker::LatestSnapshot> IdentityManager::load() {
  auto latest = broker_.sync_latest(std::string(kSessionRecordType));
  if (!latest.ok()) return latest;
  std::unordered_map<std::string, Entry> fresh;
  for (const auto& record : latest->records) {
    session::Session session;
    if (!record.data().UnpackTo(&session)) continue;
    if (session.id().empty()) session.set_id(record.id());
    fresh[record.id()].session = std::move(session);
  }
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : fresh) {
    if (auto old = entries_.find(id); old != entries_.end()) {
      entry.last_refresh = old->second.last_refresh;
    }
  }
  entries_ = std::move(fresh);
  changed_ = true;
  changed_cv_.notify_all();
  return latest;
}

std::size_t IdentityManager::refresh_due(std::stop_token stop) {
  const auto now = clock_.now();
  std::vector<Entry> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : entries_) {
      auto at = next_session_refresh(entry.session, entry.last_refresh, options_.grace,
                                     options_.cool_off);
      if (at && *at <= now) due.push_back(entry);
    }
  }
  std::size_t handled = 0;
  for (auto& entry : due) {
    if (stop.stop_requested()) break;
    std::string id = entry.session.id();
    Outcome outcome = refresh_one(std::move(entry), stop);
    ++handled;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    if (outcome == Outcome::kDeleted) {
      entries_.erase(it);
    } else {
      it->second.last_refresh = now;
    }
  }
  return handled;
}

IdentityManager::Outcome IdentityManager::refresh_one(Entry entry, std::stop_token stop) {
  auto& session = entry.session;
  const auto now = clock_.now();
  if (has_time(session.expires_at()) && from_timestamp(session.expires_at()) <= now) {
    delete_session(session, "expired");
    return Outcome::kDeleted;
  }
  auto authenticator = authenticators_ ? authenticators_(session.idp_id()) : nullptr;
  if (!authenticator) {
    delete_session(session, "no identity provider for the session's idp_id");
    return Outcome::kDeleted;
  }
  if (session.refresh_disabled() || !session.has_oauth_token()) return Outcome::kSkipped;

  auto result = run_to_completion(authenticator->refresh(oauth_token_of(session)), stop);
  if (!result) return Outcome::kRetryLater;  // stopping
  if (!result->ok()) {
    const auto& error = result->error();
    if (error.kind == IdpErrorKind::kTemporary) {
      telemetry::log_warn("session refresh failed, will retry",
                          {{"session_id", session.id()}, {"error", error.message}});
      return Outcome::kRetryLater;
    }
    telemetry::log_info("session refresh refused",
                        {{"session_id", session.id()}, {"error", error.message}});
    delete_session(session, "refresh refused");
    return Outcome::kDeleted;
  }
  apply_identity(result->value(), session);
  google::protobuf::FieldMask mask;
  mask.add_paths("oauth_token");
  mask.add_paths("id_token");
  mask.add_paths("claims");
  auto patched = broker_.patch({make_record(kSessionRecordType, session.id(), session)}, mask);
  if (!patched.ok()) {
    if (patched.status().code == databroker::Code::kNotFound) return Outcome::kDeleted;
    telemetry::log_warn("storing the refreshed session failed",
                        {{"session_id", session.id()}, {"error", patched.status().message}});
    return Outcome::kRetryLater;
  }
  store_user(session);
  track(session);
  return Outcome::kRefreshed;
}

void IdentityManager::delete_session(const session::Session& session, std::string_view reason) {
  auto record = make_record(kSessionRecordType, session.id(), session);
  *record.mutable_deleted_at() = to_timestamp(clock_.now());
  auto result = broker_.put({std::move(record)});
  telemetry::log_info("session deleted",
                      {{"session_id", session.id()}, {"reason", reason}, {"ok", result.ok()}});
}

void IdentityManager::store_user(const session::Session& session) {
  if (session.user_id().empty()) return;
  user::User user;
  auto existing = broker_.get(std::string(kUserRecordType), session.user_id());
  if (existing.ok()) existing->data().UnpackTo(&user);
  user.set_id(session.user_id());
  populate_user(claims_to_json(session.claims()), user);
  *user.mutable_modified_at() = to_timestamp(clock_.now());
  auto result = broker_.put({make_record(kUserRecordType, user.id(), user)});
  if (!result.ok()) {
    telemetry::log_warn("storing the refreshed user failed",
                        {{"user_id", user.id()}, {"error", result.status().message}});
  }
}

void IdentityManager::wake() {
  std::lock_guard lock(mutex_);
  changed_ = true;
  changed_cv_.notify_all();
}

void IdentityManager::follow(std::stop_token stop) {
  std::mutex sleep_mutex;
  std::condition_variable_any sleep_cv;
  auto pause = [&] {
    std::unique_lock lock(sleep_mutex);
    sleep_cv.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
  };
  while (!stop.stop_requested()) {
    auto latest = load();
    if (!latest.ok()) {
      pause();
      continue;
    }
    databroker::SyncParams params;
    params.server_version = latest->server_version;
    params.record_version = latest->latest_record_version;
    params.type = std::string(kSessionRecordType);
    databroker::SyncCallbacks callbacks;
    callbacks.record = [this](databroker::Record&& record) { apply_change(std::move(record)); };
    auto status = broker_.sync(params, callbacks, stop);
    if (stop.stop_requested()) return;
    if (status.code != databroker::Code::kAborted) pause();
  }
}

void IdentityManager::run(std::stop_token stop) {
  std::stop_callback on_stop(stop, [this] { wake(); });
  {
    std::lock_guard lock(mutex_);
    entries_.clear();
  }
  std::jthread follower([this](std::stop_token follower_stop) { follow(follower_stop); });
  while (!stop.stop_requested()) {
    refresh_due(stop);
    auto due = next_due();
    auto wait = std::chrono::milliseconds(options_.max_wait);
    if (due) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock_.now());
      wait = std::clamp(until, std::chrono::milliseconds(0), wait);
    }
    std::unique_lock lock(mutex_);
    changed_cv_.wait_for(lock, wait, [&] { return changed_ || stop.stop_requested(); });
    changed_ = false;
  }
}

}  // namespace portcullis::identity
