#include "databroker/memory_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <random>

#include "databroker/filter.h"
#include "databroker/patch.h"
#include "databroker/record_fields.h"
#include "databroker/record_validation.h"

namespace portcullis::databroker {
namespace {

using google::protobuf::util::TimeUtil;

Status unavailable() {
  return Status::error(Code::kUnavailable, "the record store is closed");
}

Status not_found(const std::string& type, const std::string& id) {
  return Status::error(Code::kNotFound, "record " + type + "/" + id + " not found");
}

google::protobuf::Timestamp to_timestamp(std::chrono::system_clock::time_point t) {
  return TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::chrono::system_clock::time_point from_timestamp(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(TimeUtil::TimestampToNanoseconds(t))));
}

uint64_t random_server_version(uint64_t previous) {
  std::random_device device;
  uint64_t version = 0;
  while (version == 0 || version == previous) {
    version = (uint64_t{device()} << 32) | device();
  }
  return version;
}

}  // namespace

MemoryStore::MemoryStore(const StoreOptions& options, MemoryStoreHooks hooks)
    : options_(options), hooks_(std::move(hooks)), server_version_(random_server_version(0)) {
  if (hooks_.cleanup_interval.count() > 0) cleanup_thread_ = std::thread([this] { run_cleanup(); });
}

MemoryStore::~MemoryStore() {
  close();
}

bool MemoryStore::expired(const TypeState& state, const Record& record, TimePoint now) {
  return state.ttl.count() > 0 && from_timestamp(record.modified_at()) + state.ttl < now;
}

Status MemoryStore::check_open_locked() const {
  return closed_ ? unavailable() : Status{};
}

ServerInfo MemoryStore::server_info() {
  std::shared_lock lock(mutex_);
  return {server_version_, earliest_version_, latest_version_};
}

Result<Record> MemoryStore::get(const std::string& type, const std::string& id) {
  std::shared_lock lock(mutex_);
  if (closed_) return unavailable();
  auto state = types_.find(type);
  if (state == types_.end()) return not_found(type, id);
  auto record = state->second.by_id.find(id);
  if (record == state->second.by_id.end()) return not_found(type, id);
  if (state->second.ttl.count() > 0 && expired(state->second, *record->second, hooks_.clock())) {
    return not_found(type, id);
  }
  return Record(*record->second);
}

void MemoryStore::store_locked(Record record, TimePoint now, std::vector<Record>* stored) {
  record.set_version(++latest_version_);
  *record.mutable_modified_at() = to_timestamp(now);
  auto shared = std::make_shared<const Record>(std::move(record));
  TypeState& state = types_[shared->type()];
  auto existing = state.by_id.find(shared->id());
  if (existing != state.by_id.end()) state.by_version.erase(existing->second->version());
  if (shared->has_deleted_at()) {
    if (existing != state.by_id.end()) state.by_id.erase(existing);
  } else {
    if (existing != state.by_id.end()) {
      existing->second = shared;
    } else {
      state.by_id.emplace(shared->id(), shared);
    }
    state.by_version.emplace(shared->version(), shared->id());
  }
  change_log_.push_back(shared);
  if (stored != nullptr) stored->push_back(*shared);
}

void MemoryStore::remove_locked(TypeState& state, const std::string& id, TimePoint now) {
  auto existing = state.by_id.find(id);
  if (existing == state.by_id.end()) return;
  Record tombstone = *existing->second;
  *tombstone.mutable_deleted_at() = to_timestamp(now);
  store_locked(std::move(tombstone), now, nullptr);
}

void MemoryStore::enforce_options_locked(const std::string& type, TimePoint now) {
  auto found = types_.find(type);
  if (found == types_.end()) return;
  TypeState& state = found->second;
  if (state.options.has_capacity()) {
    while (state.by_version.size() > state.options.capacity()) {
      std::string id = state.by_version.begin()->second;
      remove_locked(state, id, now);
    }
  }
  while (state.ttl.count() > 0 && !state.by_version.empty()) {
    std::string id = state.by_version.begin()->second;
    if (!expired(state, *state.by_id.at(id), now)) break;
    remove_locked(state, id, now);
  }
}

void MemoryStore::trim_locked(TimePoint now) {
  for (auto& [type, state] : types_) {
    if (state.ttl.count() > 0) enforce_options_locked(type, now);
  }
  const TimePoint cutoff = now - options_.change_log_retention;
  while (!change_log_.empty() && from_timestamp(change_log_.front()->modified_at()) < cutoff) {
    earliest_version_ = change_log_.front()->version() + 1;
    change_log_.pop_front();
  }
}

Result<std::vector<Record>> MemoryStore::put(std::vector<Record> records) {
  Status status = validate_records(records, options_.max_record_bytes);
  if (!status.ok()) return status;
  std::unique_lock lock(mutex_);
  if (closed_) return unavailable();
  const TimePoint now = hooks_.clock();
  trim_locked(now);
  std::vector<Record> stored;
  stored.reserve(records.size());
  std::vector<std::string> types;
  for (Record& record : records) {
    if (std::find(types.begin(), types.end(), record.type()) == types.end()) {
      types.push_back(record.type());
    }
    store_locked(std::move(record), now, &stored);
  }
  for (const std::string& type : types) enforce_options_locked(type, now);
  changed_.notify_all();
  return stored;
}

Result<std::vector<Record>> MemoryStore::patch(std::vector<Record> records,
                                               const google::protobuf::FieldMask& mask) {
  for (const Record& record : records) {
    if (record.type().empty() || record.id().empty()) {
      return Status::error(Code::kInvalidArgument, "patch records need a type and an id");
    }
    if (!record.has_data()) {
      return Status::error(Code::kInvalidArgument,
                           "patch of " + record.type() + "/" + record.id() + " has no data");
    }
  }
  std::unique_lock lock(mutex_);
  if (closed_) return unavailable();
  const TimePoint now = hooks_.clock();
  trim_locked(now);
  // Every patched record is computed before any is stored: all or nothing.
  std::vector<Record> patched;
  patched.reserve(records.size());
  for (const Record& update : records) {
    auto state = types_.find(update.type());
    if (state == types_.end()) return not_found(update.type(), update.id());
    auto existing = state->second.by_id.find(update.id());
    if (existing == state->second.by_id.end()) return not_found(update.type(), update.id());
    auto data = apply_patch(existing->second->data(), update.data(), mask);
    if (!data.ok()) return data.status();
    Record next = *existing->second;
    *next.mutable_data() = std::move(data.value());
    Status status = validate_record(next, options_.max_record_bytes);
    if (!status.ok()) return status;
    patched.push_back(std::move(next));
  }
  std::vector<Record> stored;
  stored.reserve(patched.size());
  for (Record& record : patched) store_locked(std::move(record), now, &stored);
  for (const Record& record : stored) enforce_options_locked(record.type(), now);
  changed_.notify_all();
  return stored;
}

Result<QueryResponse> MemoryStore::query(const QueryRequest& request) {
  if (request.type().empty()) return Status::error(Code::kInvalidArgument, "query has no type");
  if (request.offset() < 0 || request.limit() < 0) {
    return Status::error(Code::kInvalidArgument, "query offset and limit must not be negative");
  }
  std::shared_lock lock(mutex_);
  if (closed_) return unavailable();
  static const TypeState kNoRecords;
  auto found = types_.find(request.type());
  const TypeState& state = found == types_.end() ? kNoRecords : found->second;
  auto filter = parse_filter(request.filter(), state.options);
  if (!filter.ok()) return filter.status();
  const std::string search = to_lower_ascii(request.query());

  // The live records that may match: only the ids the filter names when it bounds them.
  const TimePoint now = hooks_.clock();
  std::vector<const Record*> candidates;
  auto consider = [&](const RecordPtr& record) {
    if (!expired(state, *record, now)) candidates.push_back(record.get());
  };
  if (auto ids = filter_id_candidates(filter.value(), state.options)) {
    for (const std::string& id : *ids) {
      auto found_id = state.by_id.find(id);
      if (found_id != state.by_id.end()) consider(found_id->second);
    }
  } else {
    candidates.reserve(state.by_id.size());
    for (const auto& entry : state.by_id) consider(entry.second);
  }

  std::vector<const Record*> matched;
  for (const Record* record : candidates) {
    auto matches = evaluate_filter(filter.value(), *record, state.options);
    if (!matches.ok()) return matches.status();
    if (!matches.value()) continue;
    if (!search.empty()) {
      if (!record->has_data()) continue;
      auto data = unpack_data(record->data());
      if (!data.ok()) return data.status();
      if (!contains_lower_substring(*data.value(), search)) continue;
    }
    matched.push_back(record);
  }
  std::sort(matched.begin(), matched.end(),
            [](const Record* a, const Record* b) { return a->id() < b->id(); });

  QueryResponse response;
  const auto offset = static_cast<size_t>(request.offset());
  const auto limit = static_cast<size_t>(request.limit());
  for (size_t i = offset; i < matched.size() && (limit == 0 || i - offset < limit); ++i) {
    *response.add_records() = *matched[i];
  }
  response.set_total_count(static_cast<int64_t>(matched.size()));
  response.set_server_version(server_version_);
  response.set_record_version(latest_version_);
  return response;
}

Result<Options> MemoryStore::get_options(const std::string& type) {
  std::shared_lock lock(mutex_);
  if (closed_) return unavailable();
  auto found = types_.find(type);
  return found == types_.end() ? Options() : found->second.options;
}

Result<Options> MemoryStore::set_options(const std::string& type, const Options& options) {
  if (type.empty()) return Status::error(Code::kInvalidArgument, "options need a type");
  Status status = validate_options(options);
  if (!status.ok()) return status;
  std::unique_lock lock(mutex_);
  if (closed_) return unavailable();
  TypeState& state = types_[type];
  state.options = options;
  state.ttl = options.has_ttl()
                  ? std::chrono::nanoseconds(TimeUtil::DurationToNanoseconds(options.ttl()))
                  : std::chrono::nanoseconds(0);
  const uint64_t before = latest_version_;
  enforce_options_locked(type, hooks_.clock());
  if (latest_version_ != before) changed_.notify_all();
  return state.options;
}

std::vector<std::string> MemoryStore::list_types() {
  std::shared_lock lock(mutex_);
  std::vector<std::string> types;
  if (closed_) return types;
  for (const auto& [type, state] : types_) {
    if (!state.by_id.empty()) types.push_back(type);
  }
  std::sort(types.begin(), types.end());
  return types;
}

Result<LatestRecords> MemoryStore::latest(const std::string& type) {
  std::shared_lock lock(mutex_);
  if (closed_) return unavailable();
  const TimePoint now = hooks_.clock();
  std::vector<const Record*> live;
  for (const auto& [name, state] : types_) {
    if (!type.empty() && name != type) continue;
    for (const auto& [id, record] : state.by_id) {
      if (!expired(state, *record, now)) live.push_back(record.get());
    }
  }
  std::sort(live.begin(), live.end(),
            [](const Record* a, const Record* b) { return a->version() < b->version(); });
  LatestRecords out;
  out.records.reserve(live.size());
  for (const Record* record : live) out.records.push_back(*record);
  out.server_version = server_version_;
  out.latest_record_version = latest_version_;
  return out;
}

Result<Changes> MemoryStore::changes_after(uint64_t server_version, uint64_t record_version,
                                           const std::string& type, size_t limit) {
  std::shared_lock lock(mutex_);
  if (closed_) return unavailable();
  if (server_version != server_version_) {
    return Status::error(Code::kAborted, "invalid server version");
  }
  if (earliest_version_ > 0 && record_version + 1 < earliest_version_) {
    return Status::error(Code::kAborted, "invalid record version");
  }
  Changes out;
  out.server_version = server_version_;
  out.latest_record_version = latest_version_;
  if (change_log_.empty() || record_version >= latest_version_) return out;
  const uint64_t first = change_log_.front()->version();
  size_t start = record_version < first ? 0 : static_cast<size_t>(record_version + 1 - first);
  for (size_t i = start; i < change_log_.size(); ++i) {
    if (limit != 0 && out.records.size() >= limit) break;
    const Record& change = *change_log_[i];
    if (type.empty() || change.type() == type) out.records.push_back(change);
  }
  return out;
}

bool MemoryStore::wait_for_change(uint64_t record_version,
                                  std::chrono::steady_clock::time_point deadline) {
  std::shared_lock lock(mutex_);
  const uint64_t server_version = server_version_;
  changed_.wait_until(lock, deadline, [&] {
    return closed_ || latest_version_ > record_version || server_version_ != server_version;
  });
  return latest_version_ > record_version || server_version_ != server_version;
}

Result<bool> MemoryStore::lease(const std::string& name, const std::string& id,
                                std::chrono::milliseconds ttl) {
  Status status = validate_lease(name, id);
  if (!status.ok()) return status;
  std::unique_lock lock(mutex_);
  if (closed_) return unavailable();
  const TimePoint now = hooks_.clock();
  auto held = leases_.find(name);
  const bool free = held == leases_.end() || held->second.expires_at <= now;
  if (ttl.count() <= 0) {
    if (!free && held->second.id == id) leases_.erase(held);
    return false;
  }
  if (!free && held->second.id != id) return false;
  leases_[name] = Lease{id, now + ttl};
  return true;
}

Result<ServerInfo> MemoryStore::clear() {
  std::unique_lock lock(mutex_);
  if (closed_) return unavailable();
  types_.clear();
  change_log_.clear();
  leases_.clear();
  latest_version_ = 0;
  earliest_version_ = 0;
  server_version_ = random_server_version(server_version_);
  changed_.notify_all();
  return ServerInfo{server_version_, earliest_version_, latest_version_};
}

Status MemoryStore::trim(TimePoint now) {
  std::unique_lock lock(mutex_);
  if (closed_) return unavailable();
  const uint64_t before = latest_version_;
  trim_locked(now);
  if (latest_version_ != before) changed_.notify_all();
  return {};
}

void MemoryStore::close() {
  {
    std::unique_lock lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
  {
    std::lock_guard lock(cleanup_mutex_);
    cleanup_stop_ = true;
  }
  cleanup_wake_.notify_all();
  if (cleanup_thread_.joinable() && cleanup_thread_.get_id() != std::this_thread::get_id()) {
    cleanup_thread_.join();
  }
}

void MemoryStore::run_cleanup() {
  std::unique_lock lock(cleanup_mutex_);
  while (!cleanup_wake_.wait_for(lock, hooks_.cleanup_interval, [this] { return cleanup_stop_; })) {
    lock.unlock();
    static_cast<void>(trim(hooks_.clock()));
    lock.lock();
  }
}

std::unique_ptr<RecordStore> make_memory_store(const StoreOptions& options) {
  return std::make_unique<MemoryStore>(options);
}

}  // namespace portcullis::databroker
