#include "databroker/postgres_connection.h"

#include <poll.h>

#include <algorithm>
#include <utility>

namespace portcullis::databroker {

namespace {

using Clock = std::chrono::steady_clock;

std::string trimmed_error(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Whether an SQLSTATE means the server went away or is not accepting work (class 08:
// connection exception; 57P01-57P03: shutdown or start-up in progress).
bool is_unavailable_state(const std::string& state) {
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

}  // namespace

PgParams& PgParams::text(std::string value) {
  lengths_.push_back(0);
  formats_.push_back(0);
  nulls_.push_back(false);
  values_.push_back(std::move(value));
  return *this;
}

PgParams& PgParams::binary(std::string value) {
  lengths_.push_back(static_cast<int>(value.size()));
  formats_.push_back(1);
  nulls_.push_back(false);
  values_.push_back(std::move(value));
  return *this;
}

PgParams& PgParams::integer(int64_t value) {
  return text(std::to_string(value));
}

PgParams& PgParams::null() {
  lengths_.push_back(0);
  formats_.push_back(0);
  nulls_.push_back(true);
  values_.emplace_back();
  return *this;
}

std::vector<const char*> PgParams::value_pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    pointers.push_back(nulls_[i] ? nullptr : values_[i].c_str());
  }
  return pointers;
}

std::vector<std::pair<std::string, std::string>> default_connection_options() {
  return {{"connect_timeout", "2"},
          {"keepalives", "1"},
          {"keepalives_idle", "5"},
          {"keepalives_interval", "2"},
          {"keepalives_count", "3"},
          {"tcp_user_timeout", "10000"},
          {"application_name", "portcullis-databroker"}};
}

Result<PgConnPtr> open_pg_connection(const std::string& conninfo) {
  // Our defaults come first; the caller's string (expanded from "dbname") overrides them.
  auto defaults = default_connection_options();
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [key, value] : defaults) {
    keywords.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back("dbname");
  values.push_back(conninfo.c_str());
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PgConnPtr conn(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (!conn) return Status::error(Code::kUnavailable, "postgres: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::error(Code::kUnavailable,
                         "postgres: cannot connect: " + trimmed_error(PQerrorMessage(conn.get())));
  }
  // Notices ("relation already exists, skipping") are informational; nothing reads them.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  // Every statement here is small; compiling one with JIT (which the planner may choose for a
  // fresh table without statistics) costs a hundred milliseconds.
  PgResult jit(PQexec(conn.get(), "SET jit = off"));
  if (PQresultStatus(jit.get()) != PGRES_COMMAND_OK) {
    return Status::error(Code::kUnavailable, "postgres: cannot configure the session: " +
                                                 trimmed_error(PQerrorMessage(conn.get())));
  }
  if (PQsetnonblocking(conn.get(), 1) != 0) {
    return Status::error(Code::kUnavailable, "postgres: cannot make the connection non-blocking");
  }
  return conn;
}

std::string sql_state(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

PgConnection::PgConnection(PgConnPtr conn, std::chrono::milliseconds statement_timeout)
    : conn_(std::move(conn)), statement_timeout_(statement_timeout) {}

Status PgConnection::lost(const char* what) {
  return Status::error(Code::kUnavailable, std::string("postgres: ") + what + ": " +
                                               trimmed_error(PQerrorMessage(conn_.get())));
}

bool PgConnection::wait_socket(short events, Clock::time_point deadline) {
  const int fd = PQsocket(conn_.get());
  if (fd < 0) return false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, events, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

Result<PgResult> PgConnection::exec(const char* sql, const PgParams& params) {
  if (broken()) return Status::error(Code::kUnavailable, "postgres: connection lost");
  const auto values = params.value_pointers();
  if (!PQsendQueryParams(conn_.get(), sql, params.size(), nullptr, values.data(), params.lengths(),
                         params.formats(), 0)) {
    return lost("cannot send");
  }
  auto results = finish();
  if (!results.ok()) return results.status();
  return std::move(results.value().back());
}

Result<std::vector<PgResult>> PgConnection::exec_script(const char* sql) {
  if (broken()) return Status::error(Code::kUnavailable, "postgres: connection lost");
  if (!PQsendQuery(conn_.get(), sql)) return lost("cannot send");
  return finish();
}

Result<std::vector<PgResult>> PgConnection::finish() {
  PGconn* conn = conn_.get();
  const auto deadline = Clock::now() + statement_timeout_;
  auto timed_out = [this] {
    timed_out_ = true;
    return Status::error(Code::kUnavailable, "postgres: statement timed out");
  };
  // Send everything; the server may need us to read while we write.
  for (;;) {
    const int flushed = PQflush(conn);
    if (flushed == 0) break;
    if (flushed < 0) return lost("cannot send");
    if (!wait_socket(POLLIN | POLLOUT, deadline)) return timed_out();
    if (!PQconsumeInput(conn)) return lost("connection lost");
  }
  // Collect every result; the first error wins.
  std::vector<PgResult> results;
  PgResult error;
  for (;;) {
    while (PQisBusy(conn)) {
      if (!wait_socket(POLLIN, deadline)) return timed_out();
      if (!PQconsumeInput(conn)) return lost("connection lost");
    }
    PgResult result(PQgetResult(conn));
    if (!result) break;
    const auto status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      results.push_back(std::move(result));
    } else if (!error) {
      error = std::move(result);
    }
  }
  if (!error && !results.empty()) return results;
  if (!error) return lost("no result");
  const std::string state = sql_state(error.get());
  std::string message = "postgres: " + trimmed_error(PQresultErrorMessage(error.get()));
  if (broken() || is_unavailable_state(state)) return Status::error(Code::kUnavailable, message);
  if (state == "40001" || state == "40P01") return Status::error(Code::kAborted, message);
  if (state == "54000") return Status::error(Code::kResourceExhausted, message);
  return Status::error(Code::kInternal, message);
}

bool PgConnection::check_alive() {
  if (broken()) return false;
  const int fd = PQsocket(conn_.get());
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, 0) > 0) {
    // Input on an idle connection is a notice, a notification or the server saying goodbye.
    if (!PQconsumeInput(conn_.get())) return false;
    while (PGnotify* notify = PQnotifies(conn_.get())) PQfreemem(notify);
  }
  return !broken();
}

PgTransaction::PgTransaction(PgConnection& conn, const char* begin) : conn_(conn) {
  conn_.set_commit_sent(false);
  auto result = conn_.exec_script(begin);
  if (result.ok()) {
    open_ = true;
  } else {
    status_ = result.status();
  }
}

PgTransaction::~PgTransaction() {
  if (open_ && !conn_.broken()) (void)conn_.exec("ROLLBACK");
}

Result<PgResult> PgTransaction::commit(std::string_view before) {
  if (!open_) return status_.ok() ? Status::error(Code::kInternal, "no transaction") : status_;
  open_ = false;
  conn_.set_commit_sent(true);
  const std::string script = before.empty() ? "COMMIT" : std::string(before) + ";COMMIT";
  auto results = conn_.exec_script(script.c_str());
  if (!results.ok()) return results.status();
  // A failed transaction answers COMMIT with ROLLBACK.
  if (std::string_view(PQcmdStatus(results.value().back().get())) != "COMMIT") {
    return Status::error(Code::kAborted, "postgres: transaction rolled back");
  }
  return std::move(results.value().front());
}

PgPool::PgPool(std::string conninfo, size_t size, std::chrono::milliseconds acquire_timeout,
               std::chrono::milliseconds statement_timeout)
    : conninfo_(std::move(conninfo)),
      size_(std::max<size_t>(size, 1)),
      acquire_timeout_(acquire_timeout),
      statement_timeout_(statement_timeout) {}

PgPool::~PgPool() {
  close();
}

void PgPool::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  idle_.clear();
  available_.notify_all();
}

Result<std::unique_ptr<PgConnection>> PgPool::connect() {
  {
    std::lock_guard lock(mutex_);
    if (Clock::now() < next_attempt_) {
      return Status::error(Code::kUnavailable, "postgres: unavailable, reconnecting");
    }
  }
  auto conn = open_pg_connection(conninfo_);
  std::lock_guard lock(mutex_);
  if (!conn.ok()) {
    backoff_ = std::clamp(backoff_ * 2, kMinReconnectDelay, kMaxReconnectDelay);
    next_attempt_ = Clock::now() + backoff_;
    return conn.status();
  }
  backoff_ = std::chrono::milliseconds{0};
  return std::make_unique<PgConnection>(std::move(conn).value(), statement_timeout_);
}

Result<PgPool::Borrowed> PgPool::acquire() {
  const auto deadline = Clock::now() + acquire_timeout_;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) return Status::error(Code::kUnavailable, "databroker store closed");
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (conn->check_alive()) return Borrowed(this, std::move(conn), /*reused=*/true);
      // The server closed it while idle (e.g. a restart): replace it with a new one.
      lock.lock();
      --open_count_;
      continue;
    }
    if (open_count_ < size_) {
      ++open_count_;
      lock.unlock();
      auto conn = connect();
      if (conn.ok()) return Borrowed(this, std::move(conn).value(), /*reused=*/false);
      lock.lock();
      --open_count_;
      available_.notify_one();
      return conn.status();
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return Status::error(Code::kUnavailable, "postgres: no connection available in time");
    }
  }
}

void PgPool::give_back(std::unique_ptr<PgConnection> conn) {
  if (conn->in_transaction() && !conn->broken()) (void)conn->exec("ROLLBACK");
  const bool usable = !conn->broken() && !conn->in_transaction();
  std::lock_guard lock(mutex_);
  if (usable && !closed_) {
    idle_.push_back(std::move(conn));
  } else {
    --open_count_;
  }
  available_.notify_one();
}

PgPool::Borrowed::~Borrowed() {
  if (conn_) pool_->give_back(std::move(conn_));
}

}  // namespace portcullis::databroker
