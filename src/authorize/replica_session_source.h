#pragma once
// ReplicaSessionSource: the records authorize reads, as replicas of a databroker kept current by
// one syncer per record type (session.Session, user.User, pomerium.io/DirectoryUser and
// pomerium.io/DirectoryGroup). Lookups read the replicas without locks (Replica::Reader).

#include <memory>

#include "authorize/session_lookup.h"
#include "databroker/client.h"
#include "databroker/replica.h"
#include "databroker/syncer.h"

namespace portcullis::authorize {

class ReplicaSessionSource final : public SessionSource {
 public:
  // `broker` must outlive this object; the syncers start at once and stop in the destructor.
  explicit ReplicaSessionSource(databroker::DataBroker& broker,
                                databroker::SyncerOptions options = {});
  ~ReplicaSessionSource() override;

  std::unique_ptr<SessionLookup> make_lookup() const override;

  // Stops every syncer (idempotent); lookups keep reading the last state.
  void stop();

  const databroker::Replica<session::Session>& sessions() const { return sessions_; }
  const databroker::Replica<user::User>& users() const { return users_; }

 private:
  databroker::Replica<session::Session> sessions_;
  databroker::Replica<user::User> users_;
  databroker::Replica<google::protobuf::Struct> directory_users_;
  databroker::Replica<google::protobuf::Struct> directory_groups_;
  std::unique_ptr<databroker::Syncer> syncers_[4];
};

}  // namespace portcullis::authorize
