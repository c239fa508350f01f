#pragma once
// The wall clock the identity code reads (token expiry, discovery cache age, refresh schedules),
// behind an interface so tests can move time by hand.

#include <chrono>

namespace portcullis::identity {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace portcullis::identity
