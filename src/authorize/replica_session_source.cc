#include "authorize/replica_session_source.h"

namespace portcullis::authorize {
namespace {

bool behind(databroker::ReplicaVersions at, std::uint64_t server_version,
            std::uint64_t record_version) {
  return at.server_version == server_version && at.record_version < record_version;
}

class ReplicaLookup final : public SessionLookup {
 public:
  ReplicaLookup(const databroker::Replica<session::Session>& sessions,
                const databroker::Replica<user::User>& users,
                const databroker::Replica<google::protobuf::Struct>& directory_users,
                const databroker::Replica<google::protobuf::Struct>& directory_groups,
                const databroker::Syncer& sessions_syncer)
      : sessions_replica_(sessions),
        sessions_syncer_(sessions_syncer),
        users_replica_(users),
        directory_users_replica_(directory_users),
        directory_groups_replica_(directory_groups),
        sessions_(sessions),
        users_(users),
        directory_users_(directory_users),
        directory_groups_(directory_groups) {}

  bool ready() override {
    // Sticky: once loaded, a replica stays loaded (later resyncs replace it whole).
    if (!ready_) ready_ = sessions_replica_.loaded() && users_replica_.loaded();
    return ready_;
  }
  SessionRecord session(std::string_view id) override { return sessions_.find(id); }
  UserRecord user(std::string_view id) override { return users_.find(id); }
  StructRecord directory_user(std::string_view id) override { return directory_users_.find(id); }
  StructRecord directory_group(std::string_view id) override { return directory_groups_.find(id); }
  bool sessions_behind(std::uint64_t server_version, std::uint64_t record_version) override {
    return behind(sessions_.versions(), server_version, record_version);
  }
  bool users_behind(std::uint64_t server_version, std::uint64_t record_version) override {
    return behind(users_.versions(), server_version, record_version);
  }
  bool sessions_healthy() override { return sessions_syncer_.healthy(); }
  std::uint64_t generation() override {
    // Each replica's generation only grows, so the sum stands still only while all four do.
    return sessions_replica_.generation() + users_replica_.generation() +
           directory_users_replica_.generation() + directory_groups_replica_.generation();
  }
  std::uint64_t directory_groups_version() override {
    auto versions = directory_groups_.versions();
    // A new server version restarts record versions: mix it in.
    return versions.record_version ^ (versions.server_version * 0x9e3779b97f4a7c15ull);
  }

 private:
  const databroker::Replica<session::Session>& sessions_replica_;
  const databroker::Syncer& sessions_syncer_;
  const databroker::Replica<user::User>& users_replica_;
  const databroker::Replica<google::protobuf::Struct>& directory_users_replica_;
  const databroker::Replica<google::protobuf::Struct>& directory_groups_replica_;
  databroker::Replica<session::Session>::Reader sessions_;
  databroker::Replica<user::User>::Reader users_;
  databroker::Replica<google::protobuf::Struct>::Reader directory_users_;
  databroker::Replica<google::protobuf::Struct>::Reader directory_groups_;
  bool ready_ = false;
};

}  // namespace

ReplicaSessionSource::ReplicaSessionSource(databroker::DataBroker& broker,
                                           databroker::SyncerOptions options)
    : sessions_(std::string(kSessionType)),
      users_(std::string(kUserType)),
      directory_users_(std::string(kDirectoryUserType)),
      directory_groups_(std::string(kDirectoryGroupType)) {
  databroker::ReplicaBase* replicas[] = {&sessions_, &users_, &directory_users_,
                                         &directory_groups_};
  for (std::size_t i = 0; i < 4; ++i) {
    syncers_[i] = std::make_unique<databroker::Syncer>(broker, *replicas[i], options);
    syncers_[i]->start();
  }
}

ReplicaSessionSource::~ReplicaSessionSource() {
  stop();
}

void ReplicaSessionSource::stop() {
  for (auto& syncer : syncers_) {
    if (syncer) syncer->stop();
  }
}

std::unique_ptr<SessionLookup> ReplicaSessionSource::make_lookup() const {
  // syncers_[0] keeps sessions_ current (the constructor's order).
  return std::make_unique<ReplicaLookup>(sessions_, users_, directory_users_, directory_groups_,
                                         *syncers_[0]);
}

}  // namespace portcullis::authorize
