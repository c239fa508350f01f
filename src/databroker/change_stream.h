#pragma once
// The Sync loop shared by the in-process client and the gRPC server: options, then every change
// after a record version in order, then (when waiting) new changes as they happen.

#include <functional>

#include "databroker/client.h"
#include "databroker/record_store.h"

namespace portcullis::databroker {

struct ChangeSink {
  // Each returns false when the receiver is gone (the stream then ends with CANCELLED).
  std::function<bool(const Options&)> options;
  std::function<bool(Record&&)> record;
  // May be empty: every change of the stream's type up to this store-wide record version has
  // been passed to `record` (see SyncCallbacks::caught_up).
  std::function<void(uint64_t)> caught_up;
  // Polled at least every few hundred milliseconds while waiting; true ends the stream with
  // CANCELLED (client cancellation, server shutdown).
  std::function<bool()> should_stop;
};

// Runs on the calling thread until the stream ends; see DataBroker::sync for the outcomes.
Status stream_changes(RecordStore& store, const SyncParams& params, const ChangeSink& sink);

}  // namespace portcullis::databroker
