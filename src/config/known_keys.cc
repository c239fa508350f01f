#include "config/known_keys.h"

namespace portcullis::config::detail {
namespace {

constexpr KeyUse P = KeyUse::kParsed;
constexpr KeyUse A = KeyUse::kAccepted;
constexpr KeyUse U = KeyUse::kUnsupported;
constexpr KeyUse R = KeyUse::kRemoved;

// Pomerium's global options (config/options.go and friends) plus our own knobs.
constexpr KeySpec kTopLevel[] = {
    // Services and listeners.
    {"services", P},
    {"address", P},
    {"insecure_server", P},
    {"http_redirect_addr", P},
    {"grpc_address", P},
    {"grpc_insecure", P},
    {"grpc_client_timeout", P},
    {"authenticate_service_url", P},
    {"authenticate_internal_service_url", P},
    {"authorize_service_url", P},
    {"authorize_service_urls", P},
    {"authorize_internal_service_url", P},
    {"databroker_service_url", P},
    {"databroker_service_urls", P},
    {"databroker_internal_service_url", P},
    {"databroker_storage_type", P},
    {"databroker_storage_connection_string", P},
    {"databroker_storage_connection_string_file", P},
    // Secrets and certificates.
    {"shared_secret", P},
    {"shared_secret_file", P},
    {"cookie_secret", P},
    {"cookie_secret_file", P},
    {"signing_key", P},
    {"signing_key_file", P},
    {"certificates", P},
    {"certificate", P},
    {"certificate_file", P},
    {"certificate_key", P},
    {"certificate_key_file", P},
    {"certificate_authority", P},
    {"certificate_authority_file", P},
    {"downstream_mtls", P},
    {"autocert", P},
    // Identity provider.
    {"idp_provider", P},
    {"idp_provider_url", P},
    {"idp_client_id", P},
    {"idp_client_secret", P},
    {"idp_client_secret_file", P},
    {"idp_scopes", P},
    {"idp_request_params", P},
    // Sessions and identity headers.
    {"cookie_name", P},
    {"cookie_expire", P},
    {"cookie_domain", P},
    {"cookie_http_only", P},
    {"cookie_same_site", P},
    {"cookie_secure", A},
    {"jwt_claims_headers", P},
    {"pass_identity_headers", P},
    {"set_response_headers", P},
    // HTTP behaviour.
    {"timeout_read", P},
    {"timeout_write", P},
    {"timeout_idle", P},
    {"default_upstream_timeout", P},
    {"xff_num_trusted_hops", P},
    {"normalize_path", P},
    {"merge_slashes", P},
    {"path_with_escaped_slashes_action", P},
    {"headers_with_underscores_action", P},
    {"metrics_address", P},
    {"metrics_basic_auth", P},
    {"health_check_addr", P},
    {"log_level", P},
    {"programmatic_redirect_domain_whitelist", P},
    {"signout_redirect_url", P},
    {"routes", P},
    {"policy", P},
    // Portcullis' own knobs.
    {"num_workers", P},
    {"shutdown_timeout", P},
    {"max_request_headers_kb", P},
    {"max_headers_count", P},
    // Known, no effect here.
    {"installation_id", A},
    {"pomerium_debug", A},
    {"proxy_log_level", A},
    {"access_log_fields", A},
    {"authorize_log_fields", A},
    {"dns_lookup_family", A},
    {"dns_refresh_rate", A},
    {"dns_failure_refresh_rate", A},
    {"dns_query_timeout", A},
    {"dns_query_tries", A},
    {"dns_udp_max_queries", A},
    {"dns_use_tcp", A},
    {"dns_resolvers", A},
    {"override_certificate_name", A},
    {"authenticate_callback_path", A},
    {"autocert_ca", A},
    {"autocert_email", A},
    {"autocert_use_staging", A},
    {"autocert_eab_key_id", A},
    {"autocert_eab_mac_key", A},
    {"autocert_must_staple", A},
    {"autocert_dir", A},
    {"autocert_trusted_ca", A},
    {"autocert_trusted_ca_file", A},
    {"jwt_groups_filter", A},
    {"jwt_issuer_format", A},
    {"bearer_token_format", A},
    {"debug_address", A},
    {"tracing_sample_rate", A},
    {"tracing_provider", A},
    {"tracing_otlp_endpoint", A},
    {"tracing_otlp_protocol", A},
    {"envoy_admin_access_log_path", A},
    {"envoy_admin_profile_path", A},
    {"envoy_admin_address", A},
    {"envoy_bind_config_source_address", A},
    {"envoy_bind_config_freebind", A},
    {"codec_type", A},
    {"runtime_flags", A},
    {"health_check_systemd_disabled", A},
    {"skip_xff_append", A},
    {"google_cloud_serverless_authentication_service_account", A},
    {"idp_access_token_allowed_audiences", A},
    {"grpc_server_max_connection_age", A},
    {"grpc_server_max_connection_age_grace", A},
    {"branding", A},
    // Known, not implemented.
    {"tls_derive", U},
    {"use_proxy_protocol", U},
    {"identity_providers", U},
    {"metrics_certificate", U},
    {"metrics_certificate_key", U},
    {"metrics_certificate_file", U},
    {"metrics_certificate_key_file", U},
    {"metrics_client_ca", U},
    {"metrics_client_ca_file", U},
    {"databroker_cluster_nodes", U},
    {"databroker_cluster_node_id", U},
    {"databroker_cluster_leader_id", U},
    {"databroker_raft_bind_address", U},
    {"circuit_breaker_thresholds", U},
    {"allow_upgrades", U},
    {"blob_storage", U},
    // Removed from Pomerium: an error there, an error here.
    {"policy_file", R},
    {"client_ca", R},
    {"client_ca_file", R},
    {"idp_service_account", R},
    {"idp_refresh_directory_timeout", R},
    {"idp_refresh_directory_interval", R},
    {"idp_qps", R},
    {"tracing_datadog_address", R},
    {"tracing_jaeger_collector_endpoint", R},
    {"tracing_jaeger_agent_endpoint", R},
    {"tracing_zipkin_endpoint", R},
};

constexpr std::string_view kTopLevelPrefixes[] = {"otel_", "ssh_"};

// Pomerium's route options (config/policy.go).
constexpr KeySpec kRoute[] = {
    {"from", P},
    {"to", P},
    {"redirect", P},
    {"response", P},
    {"prefix", P},
    {"path", P},
    {"regex", P},
    {"prefix_rewrite", P},
    {"regex_rewrite_pattern", P},
    {"regex_rewrite_substitution", P},
    {"host_rewrite", P},
    {"preserve_host_header", P},
    {"allow_public_unauthenticated_access", P},
    {"allow_any_authenticated_user", P},
    {"cors_allow_preflight", P},
    {"allowed_users", P},
    {"allowed_domains", P},
    {"allowed_idp_claims", P},
    {"policy", P},
    {"allow_websockets", P},
    {"timeout", P},
    {"idle_timeout", P},
    {"set_request_headers", P},
    {"remove_request_headers", P},
    {"set_response_headers", P},
    {"pass_identity_headers", P},
    {"tls_skip_verify", P},
    {"tls_server_name", P},
    {"tls_upstream_server_name", P},
    {"tls_custom_ca", P},
    {"tls_custom_ca_file", P},
    {"tls_client_cert", P},
    {"tls_client_key", P},
    {"tls_client_cert_file", P},
    {"tls_client_key_file", P},
    {"load_balancing_policy", P},
    {"id", P},
    {"name", P},
    // Known, no effect here.
    {"description", A},
    {"logo_url", A},
    {"stat_name", A},
    {"regex_priority_order", A},
    {"show_error_details", A},
    {"tls_downstream_server_name", A},
    {"tls_upstream_allow_renegotiation", A},
    {"jwt_groups_filter", A},
    {"jwt_issuer_format", A},
    {"bearer_token_format", A},
    {"idp_access_token_allowed_audiences", A},
    // Known, not implemented.
    {"health_checks", U},
    {"outlier_detection", U},
    {"healthy_panic_threshold", U},
    {"circuit_breaker_thresholds", U},
    {"host_rewrite_header", U},
    {"host_path_regex_rewrite_pattern", U},
    {"host_path_regex_rewrite_substitution", U},
    {"rewrite_response_headers", U},
    {"allow_spdy", U},
    {"allow_upgrades", U},
    {"sub_policies", U},
    {"kubernetes_service_account_token", U},
    {"kubernetes_service_account_token_file", U},
    {"enable_google_cloud_serverless_authentication", U},
    {"idp_client_id", U},
    {"idp_client_secret", U},
    {"identity_providers", U},
    {"depends_on", U},
    {"mcp", U},
    {"upstream_tunnel", U},
    {"tls_downstream_client_ca", U},
    {"tls_downstream_client_ca_file", U},
    // Removed from Pomerium.
    {"allowed_groups", R},
    {"set_authorization_header", R},
};

constexpr KeySpec kRedirect[] = {
    {"https_redirect", P}, {"scheme_redirect", P}, {"host_redirect", P}, {"port_redirect", P},
    {"path_redirect", P},  {"prefix_rewrite", P},  {"response_code", P}, {"strip_query", P},
};

constexpr KeySpec kResponse[] = {{"status", P}, {"body", P}};

constexpr KeySpec kCertificateEntry[] = {{"cert", P}, {"key", P}};

constexpr KeySpec kDownstreamMtls[] = {
    {"ca", P},
    {"ca_file", P},
    {"crl", P},
    {"crl_file", P},
    {"enforcement", P},
    {"max_verify_depth", P},
    {"match_subject_alt_names", U},
};

}  // namespace

std::span<const KeySpec> top_level_keys() {
  return kTopLevel;
}
std::span<const std::string_view> top_level_prefixes() {
  return kTopLevelPrefixes;
}
std::span<const KeySpec> route_keys() {
  return kRoute;
}
std::span<const KeySpec> redirect_keys() {
  return kRedirect;
}
std::span<const KeySpec> response_keys() {
  return kResponse;
}
std::span<const KeySpec> certificate_entry_keys() {
  return kCertificateEntry;
}
std::span<const KeySpec> downstream_mtls_keys() {
  return kDownstreamMtls;
}

}  // namespace portcullis::config::detail
