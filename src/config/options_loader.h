#pragma once
// Internal to the loader: global options from the top-level mapping.

#include "config/config.h"
#include "config/load_context.h"
#include "config/yaml_value.h"

namespace portcullis::config::detail {

// Secrets, server certificates, the internal CA, downstream mTLS, signing key, autocert.
void load_tls_options(const Mapping& top, LoadContext& ctx, Options& options);

// Everything else. Runs after load_tls_options (response header defaults depend on whether
// there are certificates).
void load_general_options(const Mapping& top, LoadContext& ctx, Options& options);

// True when any server certificate key is present (even if it failed to load).
bool has_certificate_keys(const Mapping& top);

}  // namespace portcullis::config::detail
