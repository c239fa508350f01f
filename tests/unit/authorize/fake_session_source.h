#pragma once
// A SessionSource over in-memory maps, for tests: records are replaced (new objects, as a
// replica decodes them) by the put_* calls.

#include <google/protobuf/util/json_util.h>

#include <map>
#include <memory>
#include <string>

#include "authorize/session_lookup.h"

namespace portcullis::authorize::testing {

class FakeSessionSource final : public SessionSource {
 public:
  struct State {
    bool ready = true;
    bool sessions_healthy = true;  // false: the databroker is away (the syncer is retrying)
    std::map<std::string, SessionRecord, std::less<>> sessions;
    std::map<std::string, UserRecord, std::less<>> users;
    std::map<std::string, StructRecord, std::less<>> directory_users;
    std::map<std::string, StructRecord, std::less<>> directory_groups;
    std::uint64_t groups_version = 1;
    // Where the replicas stand (read-your-writes): the server version and, per type, the record
    // version up to which they hold every change.
    std::uint64_t server_version = 0;
    std::uint64_t sessions_version = 0;
    std::uint64_t users_version = 0;
    // SessionLookup::generation: 0 (the default) reports it unknown; otherwise every put_* and
    // touch() moves it on.
    std::uint64_t generation = 0;
    std::uint64_t session_reads = 0;  // session() calls
  };

  std::unique_ptr<SessionLookup> make_lookup() const override {
    return std::make_unique<Lookup>(state_);
  }

  State& state() { return *state_; }
  void put(const session::Session& s) {
    state_->sessions[s.id()] = std::make_shared<const session::Session>(s);
    touch();
  }
  void put(const user::User& u) {
    state_->users[u.id()] = std::make_shared<const user::User>(u);
    touch();
  }
  void put_directory_user(const std::string& id, const google::protobuf::Struct& s) {
    state_->directory_users[id] = std::make_shared<const google::protobuf::Struct>(s);
    touch();
  }
  void put_directory_group(const std::string& id, const google::protobuf::Struct& s) {
    state_->directory_groups[id] = std::make_shared<const google::protobuf::Struct>(s);
    ++state_->groups_version;
    touch();
  }
  // Records that the state changed (after editing state() directly).
  void touch() {
    if (state_->generation != 0) ++state_->generation;
  }

 private:
  class Lookup final : public SessionLookup {
   public:
    explicit Lookup(std::shared_ptr<State> state) : state_(std::move(state)) {}
    bool ready() override { return state_->ready; }
    SessionRecord session(std::string_view id) override {
      ++state_->session_reads;
      return find(state_->sessions, id);
    }
    UserRecord user(std::string_view id) override { return find(state_->users, id); }
    StructRecord directory_user(std::string_view id) override {
      return find(state_->directory_users, id);
    }
    StructRecord directory_group(std::string_view id) override {
      return find(state_->directory_groups, id);
    }
    std::uint64_t directory_groups_version() override { return state_->groups_version; }
    bool sessions_behind(std::uint64_t server_version, std::uint64_t record_version) override {
      return server_version == state_->server_version && state_->sessions_version < record_version;
    }
    bool users_behind(std::uint64_t server_version, std::uint64_t record_version) override {
      return server_version == state_->server_version && state_->users_version < record_version;
    }
    bool sessions_healthy() override { return state_->sessions_healthy; }
    std::uint64_t generation() override { return state_->generation; }

   private:
    template <class Map>
    static typename Map::mapped_type find(const Map& map, std::string_view id) {
      auto it = map.find(id);
      return it == map.end() ? nullptr : it->second;
    }
    std::shared_ptr<State> state_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// A google.protobuf.Struct from JSON text.
inline google::protobuf::Struct make_struct(const std::string& json) {
  google::protobuf::Struct out;
  (void)google::protobuf::util::JsonStringToMessage(json, &out);
  return out;
}

}  // namespace portcullis::authorize::testing
