// Global options other than secrets and certificates.

#include <array>

#include "config/net_address.h"
#include "config/options_loader.h"
#include "config/text.h"

namespace portcullis::config::detail {
namespace {

constexpr std::string_view kAlternativeGrpcAddress = ":5443";

// Listen addresses: `host:port` or `:port`. Empty keeps the default (`keep_default_on_empty`)
// or disables the listener.
void load_address(const Mapping& top, std::string_view key, LoadContext& ctx, std::string& out,
                  bool keep_default_on_empty) {
  const Value* value = top.find(key);
  if (value == nullptr) return;
  auto text = read_string(*value, ctx.sink);
  if (!text) return;
  // Pomerium strips quotes that survive shell quoting (#811).
  std::string address = trim(*text);
  while (!address.empty() && (address.front() == '"' || address.front() == '\'')) {
    address.erase(address.begin());
  }
  while (!address.empty() && (address.back() == '"' || address.back() == '\'')) {
    address.pop_back();
  }
  if (address.empty()) {
    if (!keep_default_on_empty) out.clear();
    return;
  }
  std::string error = check_listen_address(address);
  if (!error.empty()) {
    value->error(ctx.sink, "invalid address \"" + address + "\": " + error);
    return;
  }
  out = std::move(address);
}

void load_url(const Mapping& top, std::string_view key, LoadContext& ctx, std::string& out) {
  const Value* value = top.find(key);
  if (value == nullptr) return;
  auto text = read_string(*value, ctx.sink);
  if (!text) return;
  std::string url = trim(*text);
  if (!url.empty()) {
    std::string error = check_http_url(url);
    if (!error.empty()) {
      value->error(ctx.sink, error);
      return;
    }
  }
  out = std::move(url);
}

// `x_service_url` then `x_service_urls`, each an http(s) URL.
void load_url_list(const Mapping& top, std::string_view single, std::string_view plural,
                   LoadContext& ctx, std::vector<std::string>& out) {
  std::vector<std::string> urls;
  std::string first;
  load_url(top, single, ctx, first);
  if (!first.empty()) urls.push_back(first);
  if (const Value* value = top.find(plural)) {
    if (auto list = read_string_list(*value, ctx.sink)) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string error = check_http_url((*list)[i]);
        if (!error.empty()) {
          Value item = value->is_sequence() ? value->at_index(i, value->node[i]) : *value;
          item.error(ctx.sink, error);
          continue;
        }
        urls.push_back((*list)[i]);
      }
    }
  }
  if (!urls.empty()) out = std::move(urls);
}

// A string that must be one of `allowed` (compared case-insensitively); stored normalised by
// `normalise`.
template <std::size_t N>
void load_enum(const Mapping& top, std::string_view key, LoadContext& ctx,
               const std::array<std::string_view, N>& allowed, bool upper, std::string& out) {
  const Value* value = top.find(key);
  if (value == nullptr) return;
  auto text = read_string(*value, ctx.sink);
  if (!text) return;
  std::string normalised = upper ? to_upper(trim(*text)) : to_lower(trim(*text));
  for (auto option : allowed) {
    if (normalised == option) {
      out = std::move(normalised);
      return;
    }
  }
  std::string list;
  for (auto option : allowed) {
    if (!list.empty()) list += ", ";
    list += option.empty() ? "\"\"" : std::string(option);
  }
  value->error(ctx.sink, "invalid value \"" + *text + "\": must be one of " + list);
}

void load_services(const Mapping& top, LoadContext& ctx, Options& options) {
  const Value* value = top.find("services");
  if (value == nullptr) return;
  auto list = read_string_list(*value, ctx.sink);
  if (!list) return;
  std::vector<std::string> services;
  for (const auto& item : *list) {
    std::string name = to_lower(item);
    if (name == "cache") name = "databroker";
    if (name != "all" && name != "proxy" && name != "authorize" && name != "authenticate" &&
        name != "databroker") {
      value->error(ctx.sink, "unknown service \"" + item +
                                 "\": must be all, proxy, authorize, authenticate, databroker "
                                 "or cache");
      return;
    }
    services.push_back(std::move(name));
  }
  if (services.empty()) {
    value->error(ctx.sink, "must name at least one service");
    return;
  }
  options.services = std::move(services);
}

void load_storage(const Mapping& top, LoadContext& ctx, Options& options) {
  if (const Value* value = top.find("databroker_storage_type")) {
    if (auto text = read_string(*value, ctx.sink)) {
      std::string type = to_lower(trim(*text));
      if (type.empty() || type == "memory" || type == "inmemory") {
        options.databroker_storage_type = "memory";
      } else if (type == "postgres") {
        options.databroker_storage_type = type;
      } else if (type == "file") {
        value->warning(ctx.sink, "databroker_storage_type file is not supported yet; using memory");
        options.databroker_storage_type = "memory";
      } else {
        value->error(ctx.sink, "invalid value \"" + *text + "\": must be memory or postgres");
      }
    }
  }
  if (auto dsn = read_inline_or_file(top, "databroker_storage_connection_string",
                                     "databroker_storage_connection_string_file", ctx)) {
    options.databroker_storage_connection_string = trim(dsn->text);
  }
  if (options.databroker_storage_type == "postgres" &&
      options.databroker_storage_connection_string.empty()) {
    top.find("databroker_storage_type")
        ->error(ctx.sink,
                "postgres needs databroker_storage_connection_string (or its _file variant)");
  }
}

void load_identity_provider(const Mapping& top, LoadContext& ctx, Options& options) {
  if (const Value* value = top.find("idp_provider")) {
    if (auto text = read_string(*value, ctx.sink)) {
      std::string provider = to_lower(trim(*text));
      static constexpr std::string_view kNamed[] = {"google", "azure", "okta",    "onelogin",
                                                    "ping",   "auth0", "cognito", "gitlab",
                                                    "github", "apple", "hosted"};
      bool named = false;
      for (auto name : kNamed) named = named || provider == name;
      if (named) {
        value->warning(ctx.sink, "idp_provider " + provider + " is not supported yet");
      } else if (!provider.empty() && provider != "oidc") {
        value->error(ctx.sink, "unknown identity provider \"" + *text + "\"");
      }
      options.idp_provider = provider;
    }
  }
  load_url(top, "idp_provider_url", ctx, options.idp_provider_url);
  assign(top, "idp_client_id", ctx, options.idp_client_id);
  if (auto secret = read_inline_or_file(top, "idp_client_secret", "idp_client_secret_file", ctx)) {
    options.idp_client_secret = secret->from_file ? trim(secret->text) : secret->text;
  }
  assign(top, "idp_scopes", ctx, options.idp_scopes);
  if (const Value* value = top.find("idp_request_params")) {
    if (auto pairs = read_string_map(*value, ctx.sink)) {
      for (auto& [name, param] : *pairs) options.idp_request_params[name] = param;
    }
  }
}

void load_claim_headers(const Mapping& top, LoadContext& ctx, Options& options) {
  const Value* value = top.find("jwt_claims_headers");
  if (value == nullptr || value->is_null()) return;
  std::map<std::string, std::string> headers;
  if (value->is_map()) {
    auto pairs = read_string_map(*value, ctx.sink);
    if (!pairs) return;
    for (auto& [header, claim] : *pairs) headers[header] = claim;
  } else {
    // A list of claims: each becomes the header x-pomerium-claim-<claim>.
    auto claims = read_string_list(*value, ctx.sink);
    if (!claims) return;
    for (auto& claim : *claims) headers["x-pomerium-claim-" + claim] = claim;
  }
  options.jwt_claims_headers = std::move(headers);
}

void load_response_headers(const Mapping& top, LoadContext& ctx, Options& options) {
  std::vector<Header> defaults = {{"X-Frame-Options", "SAMEORIGIN"},
                                  {"X-XSS-Protection", "1; mode=block"}};
  if (!options.certificates.empty()) {
    defaults.push_back(
        {"Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"});
  }
  std::vector<Header> user;
  bool disable = false;
  if (const Value* value = top.find("set_response_headers")) {
    if (auto pairs = read_string_map(*value, ctx.sink)) {
      for (auto& [name, header_value] : *pairs) {
        if (iequals(name, "disable")) {
          disable = true;
          continue;
        }
        upsert_header(user, name, header_value);
      }
    }
  }
  std::vector<Header> headers = disable ? std::vector<Header>{} : std::move(defaults);
  for (auto& header : user) upsert_header(headers, header.name, header.value);
  options.set_response_headers = std::move(headers);
}

void load_cookie(const Mapping& top, LoadContext& ctx, Options& options) {
  if (const Value* value = top.find("cookie_name")) {
    if (auto name = read_string(*value, ctx.sink)) {
      std::string trimmed = trim(*name);
      if (trimmed.empty() || trimmed.find_first_of(" \t;,=\"") != std::string::npos) {
        value->error(ctx.sink, "invalid cookie name \"" + *name + "\"");
      } else {
        options.cookie_name = trimmed;
      }
    }
  }
  assign(top, "cookie_expire", ctx, options.cookie_expire);
  assign(top, "cookie_domain", ctx, options.cookie_domain);
  assign(top, "cookie_http_only", ctx, options.cookie_http_only);
  load_enum(top, "cookie_same_site", ctx,
            std::array<std::string_view, 4>{"", "strict", "lax", "none"}, false,
            options.cookie_same_site);
}

}  // namespace

void load_general_options(const Mapping& top, LoadContext& ctx, Options& options) {
  load_services(top, ctx, options);
  load_address(top, "address", ctx, options.address, true);
  assign(top, "insecure_server", ctx, options.insecure_server);
  load_address(top, "http_redirect_addr", ctx, options.http_redirect_addr, false);
  load_address(top, "grpc_address", ctx, options.grpc_address, true);
  assign(top, "grpc_insecure", ctx, options.grpc_insecure);
  assign(top, "grpc_client_timeout", ctx, options.grpc_client_timeout);

  load_url(top, "authenticate_service_url", ctx, options.authenticate_service_url);
  load_url(top, "authenticate_internal_service_url", ctx,
           options.authenticate_internal_service_url);
  load_url_list(top, "authorize_service_url", "authorize_service_urls", ctx,
                options.authorize_service_urls);
  load_url(top, "authorize_internal_service_url", ctx, options.authorize_internal_service_url);
  load_url_list(top, "databroker_service_url", "databroker_service_urls", ctx,
                options.databroker_service_urls);
  load_url(top, "databroker_internal_service_url", ctx, options.databroker_internal_service_url);
  load_storage(top, ctx, options);

  load_identity_provider(top, ctx, options);
  load_cookie(top, ctx, options);
  load_claim_headers(top, ctx, options);
  assign(top, "pass_identity_headers", ctx, options.pass_identity_headers);
  load_response_headers(top, ctx, options);

  assign(top, "timeout_read", ctx, options.timeout_read);
  assign(top, "timeout_write", ctx, options.timeout_write);
  assign(top, "timeout_idle", ctx, options.timeout_idle);
  assign(top, "default_upstream_timeout", ctx, options.default_upstream_timeout);
  assign(top, "xff_num_trusted_hops", ctx, options.xff_num_trusted_hops);
  assign(top, "normalize_path", ctx, options.normalize_path);
  assign(top, "merge_slashes", ctx, options.merge_slashes);
  load_enum(top, "path_with_escaped_slashes_action", ctx,
            std::array<std::string_view, 4>{"KEEP_UNCHANGED", "REJECT_REQUEST",
                                            "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD"},
            true, options.path_with_escaped_slashes_action);
  load_enum(top, "headers_with_underscores_action", ctx,
            std::array<std::string_view, 3>{"ALLOW", "REJECT_REQUEST", "DROP_HEADER"}, true,
            options.headers_with_underscores_action);
  assign(top, "max_request_headers_kb", ctx, options.max_request_headers_kb, 1, 8192);
  assign(top, "max_headers_count", ctx, options.max_headers_count, 1, 65535);

  load_address(top, "metrics_address", ctx, options.metrics_address, false);
  if (const Value* value = top.find("metrics_basic_auth")) {
    if (auto text = read_string(*value, ctx.sink); text && !text->empty()) {
      auto decoded = decode_base64_strict(*text);
      if (!decoded || decoded->find(':') == std::string::npos) {
        value->error(ctx.sink, "must be the base64 encoding of user:password");
      } else {
        options.metrics_basic_auth = *text;
      }
    }
  }
  load_address(top, "health_check_addr", ctx, options.health_check_addr, false);
  load_enum(top, "log_level", ctx,
            std::array<std::string_view, 9>{"trace", "debug", "info", "warn", "warning", "error",
                                            "fatal", "panic", "disabled"},
            false, options.log_level);
  assign(top, "programmatic_redirect_domain_whitelist", ctx,
         options.programmatic_redirect_domain_whitelist);
  load_url(top, "signout_redirect_url", ctx, options.signout_redirect_url);

  assign(top, "num_workers", ctx, options.num_workers, 0, 1024);
  assign(top, "shutdown_timeout", ctx, options.shutdown_timeout);

  // Pomerium's GetGRPCAddr: the main listener keeps :443 when proxy/authenticate run here.
  if (options.grpc_address == ":443" &&
      (options.has_service("proxy") || options.has_service("authenticate"))) {
    options.grpc_address =
        listen_port(options.address) == 5443 ? ":5444" : std::string(kAlternativeGrpcAddress);
  }
}

}  // namespace portcullis::config::detail
