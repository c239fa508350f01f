#include "databroker/replica.h"

#include "telemetry/log.h"

namespace portcullis::databroker {

ReplicaVersions ReplicaBase::versions() const {
  std::lock_guard lock(mutex_);
  return versions_;
}

bool ReplicaBase::wait_until_loaded(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return loaded(); });
}

bool ReplicaBase::wait_for_record_version(uint64_t record_version,
                                          std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout,
                           [&] { return loaded() && versions_.record_version >= record_version; });
}

void ReplicaBase::published(ReplicaVersions versions) {
  {
    std::lock_guard lock(mutex_);
    versions_ = versions;
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  changed_.notify_all();
}

bool unpack_record_data(const Record& record, google::protobuf::Message& out) {
  if (record.data().UnpackTo(&out)) return true;
  telemetry::log_warn("databroker record skipped: unexpected data",
                      {{"type", record.type()},
                       {"id", record.id()},
                       {"data_type", record.data().type_url()},
                       {"expected", out.GetTypeName()}});
  return false;
}

}  // namespace portcullis::databroker
