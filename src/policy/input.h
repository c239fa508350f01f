#pragma once
// What a policy is evaluated against: views of the request, the session, the user and the
// directory user that the caller builds per request without copying its records. Everything
// here is borrowed and must outlive the evaluate() call.

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "policy/ip_address.h"

namespace portcullis::policy {

struct HeaderView {
  std::string_view name;  // any case; matched case-insensitively
  std::string_view value;
};

struct ClientCertificateView {
  bool presented = false;               // the client sent a certificate (valid or not)
  bool valid = false;                   // it chains to the configured CA and passes the CRL
  std::string_view fingerprint_sha256;  // lower-case hex of SHA-256 over the DER certificate
  std::string_view spki_hash;           // standard base64 of SHA-256 over the SubjectPublicKeyInfo
  std::span<const std::string> san_dns;
  std::span<const std::string> san_email;
  std::span<const std::string> san_uri;
};

struct RequestView {
  std::string_view method;
  std::string_view host;
  std::string_view path;  // normalised, without the query: the path that is forwarded
  std::span<const HeaderView> headers;
  std::optional<IpAddress> ip;  // the client address after trusted X-Forwarded-For hops
  ClientCertificateView client_certificate;

  // The first value of a header, or nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Claims objects map a claim name to a value or an array of values (a session's claims are
// arrays, as Pomerium stores them).
struct SessionView {
  bool present = false;  // false: the request is not signed in
  std::string_view id;
  std::string_view user_id;
  const nlohmann::json* claims = nullptr;
};

struct UserView {
  std::string_view id;
  std::string_view email;  // the directory user's email when known, else the IdP's
  std::string_view name;
  const nlohmann::json* claims = nullptr;
};

struct DirectoryUserView {
  std::span<const std::string> group_ids;
};

// Records for the `record` criterion (external data), looked up in the caller's replica.
class RecordLookup {
 public:
  virtual ~RecordLookup() = default;
  // The data of the record of `type` with `id`, or null when there is none.
  virtual const nlohmann::json* find(std::string_view type, std::string_view id) const = 0;
  // The data of the first record of `type` whose indexed `field` equals `value`, or null.
  virtual const nlohmann::json* find_by_field(std::string_view type, std::string_view field,
                                              std::string_view value) const = 0;
};

struct EvalInput {
  RequestView request;
  SessionView session;
  UserView user;  // ignored when there is no session, as Pomerium finds the user through it
  DirectoryUserView directory_user;
  std::chrono::system_clock::time_point now;
  const RecordLookup* records = nullptr;  // null: no record exists
};

}  // namespace portcullis::policy
