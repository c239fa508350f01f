#pragma once
// Internal to the loader: environment variables over the top-level mapping.

#include "config/config.h"
#include "config/yaml_value.h"

namespace portcullis::config::detail {

// Every known top-level key can be given as its upper-cased name (ADDRESS, INSECURE_SERVER);
// it replaces the file's value. Values starting with '{' or '[' are parsed as YAML/JSON, others
// are scalars (lists are comma-separated, maps `name=value` or `name:value` pairs). Also:
// POLICY = base64 of YAML/JSON routes, HEADERS = `Name:Value,...` for set_response_headers,
// DOWNSTREAM_MTLS_<FIELD> for the fields of downstream_mtls.
void apply_environment(Mapping& top, EnvLookup env, DiagnosticSink& sink);

}  // namespace portcullis::config::detail
