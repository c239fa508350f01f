#include "databroker/change_stream.h"

#include <algorithm>

namespace portcullis::databroker {
namespace {

// Changes read from the store per query.
constexpr size_t kBatchSize = 256;
// The longest a waiting stream goes without checking for cancellation or shutdown.
constexpr auto kWaitSlice = std::chrono::milliseconds(250);
// While idle, the change log is re-read this often anyway, so that a Clear (a new server
// version, which need not raise the record version) ends the stream with ABORTED promptly.
constexpr int kSlicesPerRescan = 8;

// Waits until the store has a change after `seen`, the rescan interval passes or the stream is
// to stop. Returns false only when it should stop.
bool wait_for_more(RecordStore& store, uint64_t seen, const ChangeSink& sink) {
  for (int slice = 0; slice < kSlicesPerRescan; ++slice) {
    if (sink.should_stop()) return false;
    auto deadline = std::chrono::steady_clock::now() + kWaitSlice;
    if (store.wait_for_change(seen, deadline)) return true;
    // An early false means the store closed: the next read reports it.
    if (std::chrono::steady_clock::now() < deadline) return true;
  }
  return !sink.should_stop();
}

Status cancelled() {
  return Status::error(Code::kCancelled, "sync stream cancelled");
}

}  // namespace

Status stream_changes(RecordStore& store, const SyncParams& params, const ChangeSink& sink) {
  // The first read validates the versions before anything is sent.
  auto batch =
      store.changes_after(params.server_version, params.record_version, params.type, kBatchSize);
  if (!batch.ok()) return batch.status();
  if (!params.type.empty() && sink.options) {
    auto options = store.get_options(params.type);
    if (options.ok() && !sink.options(options.value())) return cancelled();
  }
  uint64_t cursor = params.record_version;
  for (;;) {
    const bool full = batch->records.size() >= kBatchSize;
    const uint64_t latest = batch->latest_record_version;
    for (auto& record : batch->records) {
      cursor = std::max(cursor, record.version());
      if (!sink.record(std::move(record))) return cancelled();
    }
    if (!full) {
      // One consistent read: nothing of this type lies between the last change and `latest`.
      if (sink.caught_up) sink.caught_up(std::max(cursor, latest));
      if (!params.wait) return {};
      if (!wait_for_more(store, std::max(cursor, latest), sink)) return cancelled();
    } else if (sink.should_stop()) {
      return cancelled();
    }
    batch = store.changes_after(params.server_version, cursor, params.type, kBatchSize);
    if (!batch.ok()) return batch.status();
  }
}

}  // namespace portcullis::databroker
