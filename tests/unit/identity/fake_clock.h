#pragma once
// Test support: a clock that moves only when told to.

#include <atomic>

#include "identity/clock.h"

namespace portcullis::testing {

class FakeClock final : public identity::Clock {
 public:
  explicit FakeClock(identity::TimePoint start = std::chrono::system_clock::now())
      : now_(start.time_since_epoch().count()) {}
  identity::TimePoint now() const override {
    return identity::TimePoint(identity::TimePoint::duration(now_.load()));
  }
  void advance(std::chrono::system_clock::duration by) { now_ += by.count(); }

 private:
  std::atomic<identity::TimePoint::rep> now_;
};

}  // namespace portcullis::testing
