#include "databroker/postgres_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "databroker/postgres_connection.h"
#include "databroker/postgres_schema.h"

namespace portcullis::databroker {

namespace {

// How long one statement of the listener (LISTEN, the version read) may take.
constexpr std::chrono::milliseconds kListenerStatementTimeout{5000};

}  // namespace

PgChangeListener::PgChangeListener(std::string conninfo,
                                   std::function<void(const PgVersions&)> on_versions,
                                   std::function<void(bool)> on_connected)
    : conninfo_(std::move(conninfo)),
      on_versions_(std::move(on_versions)),
      on_connected_(std::move(on_connected)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("postgres listener: eventfd failed");
  thread_ = std::thread([this] { run(); });
}

PgChangeListener::~PgChangeListener() {
  stopping_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
}

void PgChangeListener::pause(int ms) {
  pollfd pfd{wake_fd_, POLLIN, 0};
  (void)::poll(&pfd, 1, ms);
}

void PgChangeListener::run() {
  std::chrono::milliseconds backoff{0};
  while (!stopping_) {
    const auto started = std::chrono::steady_clock::now();
    listen_once();
    if (connected_.exchange(false)) on_connected_(false);
    if (stopping_) break;
    // A connection that lasted a while resets the backoff.
    if (std::chrono::steady_clock::now() - started > kMaxReconnectDelay) {
      backoff = std::chrono::milliseconds{0};
    }
    backoff = std::clamp(backoff * 2, kMinReconnectDelay, kMaxReconnectDelay);
    pause(static_cast<int>(backoff.count()));
  }
}

void PgChangeListener::listen_once() {
  auto opened = open_pg_connection(conninfo_);
  if (!opened.ok()) return;
  PgConnection conn(std::move(opened).value(), kListenerStatementTimeout);
  if (!conn.exec(kListenSql).ok()) return;
  // Listening now: anything committed from here on is notified. Read the version to cover what
  // was committed while not listening, then tell the waiters (they re-read after their version).
  auto versions = read_versions(conn);
  if (!versions.ok()) return;
  on_versions_(versions.value());
  connected_ = true;
  on_connected_(true);

  PGconn* raw = conn.raw();
  while (!stopping_) {
    pollfd fds[2] = {{PQsocket(raw), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, 1000);
    if (ready < 0 && errno != EINTR) return;
    if (stopping_) return;
    if (ready > 0 && fds[0].revents != 0) {
      if (!PQconsumeInput(raw)) return;
      while (PGnotify* notify = PQnotifies(raw)) {
        const PgVersions versions = parse_versions_payload(notify->extra);
        PQfreemem(notify);
        on_versions_(versions);
      }
    }
    if (conn.broken()) return;
  }
}

}  // namespace portcullis::databroker
