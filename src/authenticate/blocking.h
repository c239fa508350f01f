#pragma once
// run_blocking: the one seam where handlers make blocking databroker calls. Today the call runs
// inline on the caller's thread, which suits the in-process databroker (it answers from memory
// without waiting); moving it off the event loop (a pool hop) is the place to change before the
// gRPC databroker client is used from proxy workers.

#include <utility>

namespace portcullis::authenticate {

template <class F>
auto run_blocking(F&& f) {
  return std::forward<F>(f)();
}

}  // namespace portcullis::authenticate
