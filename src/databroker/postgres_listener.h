#pragma once
// Follows the record version of a PostgreSQL database through LISTEN/NOTIFY, so that a change
// written through any instance wakes this instance's waiters.
//
// Threading: one dedicated thread owns the listening connection. It connects (retrying with a
// backoff of 100 ms doubling to 2 s), runs LISTEN, then reads the versions from the tables
// (covering whatever happened while it was not listening) and reports them; afterwards it polls
// the socket and reports the versions of each notification. `on_version` runs on that thread
// and must be quick. The destructor stops and joins the thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "databroker/postgres_schema.h"

namespace portcullis::databroker {

class PgChangeListener {
 public:
  // on_versions(v): the database had these versions. on_connected(bool): the listener
  // (re)gained or lost its connection.
  PgChangeListener(std::string conninfo, std::function<void(const PgVersions&)> on_versions,
                   std::function<void(bool)> on_connected);
  ~PgChangeListener();
  PgChangeListener(const PgChangeListener&) = delete;
  PgChangeListener& operator=(const PgChangeListener&) = delete;

  bool connected() const { return connected_.load(); }

 private:
  void run();
  // Listens on one connection until it breaks or the listener stops.
  void listen_once();
  // Sleeps up to `ms`, returning early when stopping.
  void pause(int ms);

  const std::string conninfo_;
  const std::function<void(const PgVersions&)> on_versions_;
  const std::function<void(bool)> on_connected_;
  // An eventfd that wakes the thread's poll when stopping.
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace portcullis::databroker
