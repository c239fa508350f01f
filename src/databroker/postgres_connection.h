#pragma once
// Blocking libpq connections for the PostgreSQL record store: an owning PGconn wrapper with
// parameterised statements, a transaction guard, and a small fixed-size pool that reconnects
// with capped backoff.
//
// Threading: a PgConnection is used by one thread at a time (the pool lends it out exclusively).
// PgPool is thread-safe; acquire() blocks at most its acquire timeout, and a connection attempt
// at most libpq's connect_timeout, so no call waits forever on a dead server.

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "databroker/status.h"

namespace portcullis::databroker {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

// Parameters of one statement ($1, $2, ...). Values are owned copies; text unless added with
// binary() (bytea).
class PgParams {
 public:
  PgParams& text(std::string value);
  PgParams& binary(std::string value);
  PgParams& integer(int64_t value);
  PgParams& null();

  int size() const { return static_cast<int>(values_.size()); }
  // Pointer arrays for PQexecParams; valid while this object is alive and unchanged.
  std::vector<const char*> value_pointers() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Connection options added before the caller's connection string (which overrides them): a
// bounded connect time and TCP keepalives so that a vanished server is noticed.
std::vector<std::pair<std::string, std::string>> default_connection_options();

// Opens a connection; an error message when the server cannot be reached.
Result<PgConnPtr> open_pg_connection(const std::string& conninfo);

// One server connection. Errors come back as a Status: UNAVAILABLE when the connection broke,
// ABORTED for serialisation failures and deadlocks, INTERNAL for anything else.
class PgConnection {
 public:
  // statement_timeout bounds each exec() on the client side: a server that stops answering
  // breaks the connection instead of hanging the caller.
  PgConnection(PgConnPtr conn, std::chrono::milliseconds statement_timeout);

  // Runs one statement (the SQL is a constant; data only ever travels as parameters); text
  // results.
  Result<PgResult> exec(const char* sql, const PgParams& params = {});
  // Runs constant SQL of several statements (no parameters) in one round trip; every result.
  Result<std::vector<PgResult>> exec_script(const char* sql);

  // Whether the connection is still usable; reads (without blocking) whatever the server sent,
  // so a server shutdown that was announced on an idle connection is seen here.
  bool check_alive();
  bool broken() const { return timed_out_ || PQstatus(conn_.get()) != CONNECTION_OK; }
  bool in_transaction() const { return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE; }

  // Set when a COMMIT was sent: a failure after that leaves the outcome unknown, so the
  // statement must not be retried.
  bool commit_sent() const { return commit_sent_; }
  void set_commit_sent(bool sent) { commit_sent_ = sent; }

  PGconn* raw() const { return conn_.get(); }

 private:
  // Sends what is queued and collects the results, bounded by the statement timeout.
  Result<std::vector<PgResult>> finish();
  Status lost(const char* what);
  // Waits until the socket is ready for `events` or the deadline passes.
  bool wait_socket(short events, std::chrono::steady_clock::time_point deadline);

  PgConnPtr conn_;
  std::chrono::milliseconds statement_timeout_;
  // Set when a statement outlived its timeout: the protocol state is unknown, so the connection
  // is never used again.
  bool timed_out_ = false;
  bool commit_sent_ = false;
};

// BEGIN on construction, ROLLBACK on destruction unless commit() was sent.
class PgTransaction {
 public:
  // begin: constant SQL that starts the transaction, possibly followed by more statements in
  // the same round trip ("BEGIN; SELECT ... FOR UPDATE"); check status() before use.
  explicit PgTransaction(PgConnection& conn, const char* begin = "BEGIN");
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  const Status& status() const { return status_; }
  // Runs the constant SQL `before` (if any) and COMMIT in one round trip; the result of
  // `before` (or of COMMIT).
  Result<PgResult> commit(std::string_view before = {});

 private:
  PgConnection& conn_;
  Status status_;
  bool open_ = false;
};

// A fixed number of connections shared by the store's callers. A broken connection is dropped
// and replaced on the next acquire; connection attempts after a failure wait a backoff that
// doubles from 100 ms to 2 s, and calls in between fail at once with UNAVAILABLE.
class PgPool {
 public:
  PgPool(std::string conninfo, size_t size, std::chrono::milliseconds acquire_timeout,
         std::chrono::milliseconds statement_timeout);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // A connection lent to one caller until destruction, which returns it to the pool (or drops
  // it when broken or left inside a transaction that cannot be rolled back).
  class Borrowed {
   public:
    Borrowed(PgPool* pool, std::unique_ptr<PgConnection> conn, bool reused)
        : pool_(pool), conn_(std::move(conn)), reused_(reused) {}
    Borrowed(Borrowed&&) = default;
    Borrowed& operator=(Borrowed&&) = delete;
    ~Borrowed();

    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }
    // Whether the connection served an earlier caller (and so may have gone stale unseen).
    bool reused() const { return reused_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
    bool reused_;
  };

  Result<Borrowed> acquire();
  // Wakes waiting callers; later acquires fail with UNAVAILABLE.
  void close();

 private:
  void give_back(std::unique_ptr<PgConnection> conn);
  Result<std::unique_ptr<PgConnection>> connect();

  const std::string conninfo_;
  const size_t size_;
  const std::chrono::milliseconds acquire_timeout_;
  const std::chrono::milliseconds statement_timeout_;

  std::mutex mutex_;
  std::condition_variable available_;
  // Guarded by mutex_: idle connections, how many exist (idle or lent), the reconnect backoff.
  std::vector<std::unique_ptr<PgConnection>> idle_;
  size_t open_count_ = 0;
  bool closed_ = false;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
};

// Reconnect delays shared by the pool and the change listener.
inline constexpr std::chrono::milliseconds kMinReconnectDelay{100};
inline constexpr std::chrono::milliseconds kMaxReconnectDelay{2000};

// The SQLSTATE of a failed result, or "" when there is none.
std::string sql_state(const PGresult* result);

}  // namespace portcullis::databroker
