#pragma once
// The configuration snapshot: every option and route of a Pomerium-compatible config file, parsed
// and validated once. A Config is immutable after loading and shared as
// std::shared_ptr<const Config>; a reload builds a new one and swaps the pointer.

#include <re2/re2.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::config {

using Duration = std::chrono::milliseconds;

// A scheme://host:port target of a route's `to`, with its load-balancing weight.
struct Upstream {
  std::string url;         // as written, without the weight suffix
  std::string scheme;      // "http" or "https" (h2c is accepted and treated as http)
  std::string host;        // host name or IP literal, without brackets
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string authority;   // host[:port] as the Host header to send (port omitted when default)
  std::string path;        // path of the URL ("" when none); the first upstream's path becomes
                           // the route's prefix_rewrite when that is not set
  std::uint32_t weight = 1;
  bool h2c = false;  // written as h2c://: HTTP/2 without TLS (prior knowledge)
  bool tls() const { return scheme == "https"; }
};

enum class LoadBalancing { kRoundRobin, kRandom, kLeastRequest, kRingHash, kMaglev };

// `redirect:` on a route (Envoy RedirectAction semantics).
struct RedirectAction {
  bool https_redirect = false;
  std::optional<std::string> scheme_redirect;
  std::optional<std::string> host_redirect;
  std::optional<std::uint16_t> port_redirect;
  std::optional<std::string> path_redirect;
  std::optional<std::string> prefix_rewrite;
  int response_code = 301;  // 301, 302, 303, 307 or 308
  bool strip_query = false;
};

// `response:` on a route: a fixed reply.
struct DirectResponse {
  int status = 200;
  std::string body;
};

enum class PathMatchKind { kPrefix, kPath, kRegex };

struct Header {
  std::string name;  // as written (matching is case-insensitive)
  std::string value;
};

struct Route {
  std::size_t index = 0;  // position in the file
  std::string id;         // explicit `id`, or a stable hash of the matching fields
  std::string name;
  int line = 0;  // line of the route in the config file (0 when not from a file)

  // Matching. `from` is scheme://host[:port] with an optional `*` in the host.
  std::string from;
  std::string from_scheme;
  std::string from_host;  // lower-case; may contain '*'
  std::optional<std::uint16_t> from_port;
  bool from_wildcard = false;
  PathMatchKind path_kind = PathMatchKind::kPrefix;
  std::string path_value = "/";           // the prefix or exact path
  std::shared_ptr<const re2::RE2> regex;  // for kRegex, anchored ^...$ (full match)

  // Exactly one action.
  std::vector<Upstream> to;
  std::optional<RedirectAction> redirect;
  std::optional<DirectResponse> response;
  LoadBalancing load_balancing = LoadBalancing::kRoundRobin;

  // Rewrites.
  std::optional<std::string> prefix_rewrite;
  std::shared_ptr<const re2::RE2> regex_rewrite_pattern;
  std::string regex_rewrite_substitution;  // RE2 syntax (\1); "\\N"-style from Envoy also works
  std::optional<std::string> host_rewrite;
  bool preserve_host_header = false;

  // Headers. set_response_headers is already merged with the global ones (route wins).
  std::vector<Header> set_request_headers;
  std::vector<std::string> remove_request_headers;  // lower-case names
  std::vector<Header> set_response_headers;

  // Timeouts; 0 means none. Defaults: timeout = default_upstream_timeout, idle_timeout = 0;
  // for websocket routes both are 0 unless set explicitly.
  Duration timeout{0};
  Duration idle_timeout{0};
  bool allow_websockets = false;

  // Authorization inputs (evaluated by the authorize service; the proxy only fails closed).
  bool allow_public_unauthenticated_access = false;
  bool allow_any_authenticated_user = false;
  bool cors_allow_preflight = false;
  std::vector<std::string> allowed_users;
  std::vector<std::string> allowed_domains;
  // `allowed_idp_claims`: claim name -> accepted values (scalars as written).
  std::map<std::string, std::vector<std::string>> allowed_idp_claims;
  std::string policy_json;  // the `policy` value re-encoded as JSON ("" when absent)
  std::optional<bool> pass_identity_headers;

  // Upstream TLS.
  bool tls_skip_verify = false;
  std::string tls_server_name;
  std::string tls_custom_ca_pem;
  std::string tls_client_cert_pem;
  std::string tls_client_key_pem;

  // True when the route has no policy and no authorization flag: it denies everything.
  bool denies_everything() const;
};

struct Certificate {
  std::string cert_pem;
  std::string key_pem;
};

// `downstream_mtls`: client certificates on the main listener.
struct DownstreamMtls {
  std::string ca_pem;   // `ca` (base64 or PEM) or `ca_file`; empty = no client certificates
  std::string crl_pem;  // `crl` or `crl_file`
  std::string enforcement = "policy_with_default_deny";  // or "policy", "reject_connection"
  std::uint32_t max_verify_depth = 1;
  bool enabled() const { return !ca_pem.empty(); }
};

struct Options {
  std::vector<std::string> services{"all"};  // lower-case, split on commas
  std::string address = ":443";
  bool insecure_server = false;
  std::string http_redirect_addr;
  std::string grpc_address = ":443";
  std::optional<bool> grpc_insecure;
  Duration grpc_client_timeout{std::chrono::seconds(10)};

  std::string authenticate_service_url;
  std::string authenticate_internal_service_url;
  std::vector<std::string> authorize_service_urls;  // `authorize_service_url` first, then `_urls`
  std::string authorize_internal_service_url;
  std::vector<std::string> databroker_service_urls;
  std::string databroker_internal_service_url;
  std::string databroker_storage_type = "memory";
  std::string databroker_storage_connection_string;

  std::string shared_secret;  // base64 as written (decoded and checked by the loader)
  std::string cookie_secret;
  std::string signing_key;  // PEM

  std::vector<Certificate> certificates;  // `certificates`, `certificate(_file)` pairs, all loaded
  std::string certificate_authority_pem;
  bool autocert = false;  // accepted but not implemented (a warning says so)
  DownstreamMtls downstream_mtls;

  std::string idp_provider;
  std::string idp_provider_url;
  std::string idp_client_id;
  std::string idp_client_secret;
  std::vector<std::string> idp_scopes;
  std::map<std::string, std::string> idp_request_params;

  std::string cookie_name = "_pomerium";
  Duration cookie_expire{std::chrono::hours(14)};
  std::string cookie_domain;
  bool cookie_http_only = true;
  std::string cookie_same_site;
  std::map<std::string, std::string> jwt_claims_headers;  // header -> claim
  bool pass_identity_headers = false;

  // Global response headers after defaults and `disable` (HSTS only with certificates).
  std::vector<Header> set_response_headers;

  Duration timeout_read{std::chrono::seconds(30)};
  Duration timeout_write{0};
  Duration timeout_idle{std::chrono::minutes(5)};
  Duration default_upstream_timeout{std::chrono::seconds(30)};
  std::uint32_t xff_num_trusted_hops = 0;
  bool normalize_path = true;
  bool merge_slashes = true;
  std::string path_with_escaped_slashes_action = "REJECT_REQUEST";  // or KEEP_UNCHANGED,
                                                                    // UNESCAPE_AND_REDIRECT,
                                                                    // UNESCAPE_AND_FORWARD
  std::string headers_with_underscores_action = "REJECT_REQUEST";   // ALLOW, DROP_HEADER

  // Limits on request heads; the defaults are the ones Pomerium gives Envoy.
  std::uint32_t max_request_headers_kb = 128;
  std::uint32_t max_headers_count = 1000;

  std::string metrics_address;
  std::string metrics_basic_auth;  // base64 of "user:password" as written (checked by the loader)
  std::string health_check_addr = "127.0.0.1:28080";
  std::string log_level = "info";
  std::vector<std::string> programmatic_redirect_domain_whitelist{"localhost"};
  std::string signout_redirect_url;

  // Worker threads serving the data plane; 0 = one per core.
  std::uint32_t num_workers = 0;
  Duration shutdown_timeout{std::chrono::seconds(30)};

  bool has_service(std::string_view service) const;  // true for "all" too
};

struct Config {
  Options options;
  std::vector<Route> routes;
  std::string source_path;  // the file it was loaded from
};

// A problem found while loading: the key path (`routes[2].to`), the line (1-based, 0 if unknown).
struct Diagnostic {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kError;
  std::string key;
  int line = 0;
  std::string message;

  std::string to_string() const;  // "error: routes[2].to (line 14): must be a URL"
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when there is any error
  std::vector<Diagnostic> diagnostics;   // warnings and errors in file order
  bool ok() const { return config != nullptr; }
};

// Environment lookup, injectable for tests.
using EnvLookup = std::optional<std::string> (*)(const char* name);
std::optional<std::string> process_env(const char* name);

// Loads and validates a YAML or JSON config file; environment variables (upper-cased keys)
// override file values. Never throws.
LoadResult load_config_file(const std::string& path, EnvLookup env = process_env);
// The same from text already in memory (`source_path` names it in diagnostics).
LoadResult load_config_text(const std::string& text, const std::string& source_path,
                            EnvLookup env = process_env);

// Checks what serving needs beyond a well-formed file: with the proxy or authenticate service and
// a route that is not public, sign-in needs the identity provider (idp_provider_url unless the
// provider is google, idp_client_id, idp_client_secret); each missing key is an error naming it.
// Errors are appended to `result` and clear its config. (`portcullis policy` evaluates routes
// without this check: it signs nobody in.)
void check_serving_requirements(LoadResult& result);

// Parses a Go-style duration ("30s", "1m30s", "150ms", "0"). nullopt when malformed.
std::optional<Duration> parse_duration(std::string_view text);

}  // namespace portcullis::config
