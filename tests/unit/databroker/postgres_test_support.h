#pragma once
// PostgreSQL for tests and benchmarks: where the test server is, and throw-away databases on it.
//
// The server comes from tests/support/postgres-server (ctest starts one as a fixture and passes
// its directory in PORTCULLIS_TEST_POSTGRES_DIR); PORTCULLIS_TEST_POSTGRES_URL overrides it.
// Header-only so that the unit tests and the micro-benchmarks can both use it.

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>

namespace portcullis::databroker::testing {

inline constexpr char kNoPostgresMessage[] =
    "no PostgreSQL server for the tests: run them with ctest (which starts one), or start one "
    "with `tests/support/postgres-server start /tmp/pg` and set "
    "PORTCULLIS_TEST_POSTGRES_URL=$(cat /tmp/pg/url) (or PORTCULLIS_TEST_POSTGRES_DIR=/tmp/pg)";

// The server's URL, or "" when neither variable names one.
inline std::string postgres_test_url() {
  if (const char* url = std::getenv("PORTCULLIS_TEST_POSTGRES_URL"); url != nullptr && *url) {
    return url;
  }
  if (const char* dir = std::getenv("PORTCULLIS_TEST_POSTGRES_DIR"); dir != nullptr && *dir) {
    std::ifstream file(std::string(dir) + "/url");
    std::string url;
    if (file >> url) return url;
  }
  return "";
}

// A key=value connection string for `conninfo` (URL or key=value) with another database.
inline std::string conninfo_with_database(const std::string& conninfo, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return "";
  }
  auto quoted = [](const std::string& value) {
    std::string out = "'";
    for (char c : value) {
      if (c == '\'' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "'";
  };
  std::string out = "dbname=" + quoted(dbname);
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string(option->keyword) == "dbname") continue;
    out += std::string(" ") + option->keyword + "=" + quoted(option->val);
  }
  PQconninfoFree(options);
  return out;
}

// A database with a random name on the server at `server_url`, dropped (with any connections
// still open to it) on destruction. ok() says whether it was created; error() why not.
class TestDatabase {
 public:
  explicit TestDatabase(std::string server_url) : server_url_(std::move(server_url)) {
    if (server_url_.empty()) {
      error_ = kNoPostgresMessage;
      return;
    }
    std::random_device device;
    static constexpr char kHex[] = "0123456789abcdef";
    name_ = "portcullis_test_";
    for (int i = 0; i < 16; ++i) name_.push_back(kHex[device() % 16]);
    error_ = admin("CREATE DATABASE ");
    if (error_.empty()) conninfo_ = conninfo_with_database(server_url_, name_);
  }
  ~TestDatabase() {
    if (ok()) admin("DROP DATABASE IF EXISTS ", " WITH (FORCE)");
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  bool ok() const { return !conninfo_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  // Connection string for the new database.
  const std::string& conninfo() const { return conninfo_; }

 private:
  // Runs `prefix <quoted name> suffix` on the server's default database; "" or the error.
  std::string admin(const std::string& prefix, const std::string& suffix = "") {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(server_url_.c_str()), PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return "cannot connect to the test PostgreSQL at " + server_url_ + ": " +
             PQerrorMessage(conn.get()) + "\n" + kNoPostgresMessage;
    }
    // An identifier cannot be a parameter; the name is ours (letters and hex digits), quoted.
    char* quoted = PQescapeIdentifier(conn.get(), name_.c_str(), name_.size());
    const std::string sql = prefix + quoted + suffix;
    PQfreemem(quoted);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return sql + ": " + PQerrorMessage(conn.get());
    }
    return "";
  }

  std::string server_url_;
  std::string name_;
  std::string error_;
  std::string conninfo_;
};

}  // namespace portcullis::databroker::testing
