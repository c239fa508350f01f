#pragma once
// Internal to the loader: every key Portcullis knows, and how each is handled.

#include <span>
#include <string_view>

#include "config/yaml_value.h"

namespace portcullis::config::detail {

std::span<const KeySpec> top_level_keys();
std::span<const std::string_view> top_level_prefixes();  // otel_*, ssh_*, ...
std::span<const KeySpec> route_keys();
std::span<const KeySpec> redirect_keys();
std::span<const KeySpec> response_keys();
std::span<const KeySpec> certificate_entry_keys();
std::span<const KeySpec> downstream_mtls_keys();

}  // namespace portcullis::config::detail
