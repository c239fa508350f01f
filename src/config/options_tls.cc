// Secrets and certificates of the global options.

#include "config/known_keys.h"
#include "config/options_loader.h"
#include "config/pem.h"
#include "config/text.h"

namespace portcullis::config::detail {
namespace {

constexpr std::size_t kSecretBytes = 32;

// `shared_secret` / `cookie_secret`: standard base64 of exactly 32 bytes.
void load_secret(const Mapping& top, std::string_view key, LoadContext& ctx, std::string& out) {
  std::string file_key = std::string(key) + "_file";
  auto source = read_inline_or_file(top, key, file_key, ctx);
  if (!source) return;
  // A file usually ends with a newline; an inline value must be exact (as in Pomerium).
  std::string secret = source->from_file ? trim(source->text) : source->text;
  if (secret.empty()) {
    if (source->from_file) source->value->error(ctx.sink, "the file is empty");
    return;
  }
  if (secret.find_first_of(" \t\r\n") != std::string::npos) {
    source->value->error(ctx.sink, "must not contain whitespace");
    return;
  }
  auto decoded = decode_base64_strict(secret);
  if (!decoded || decoded->size() != kSecretBytes) {
    source->value->error(
        ctx.sink,
        "must be the standard base64 encoding of 32 bytes (head -c32 /dev/urandom | "
        "base64)" +
            (decoded ? ", got " + std::to_string(decoded->size()) + " bytes"
                     : std::string(", got invalid base64")));
    return;
  }
  out = std::move(secret);
}

// PEM from inline base64/PEM or from a file.
std::optional<std::string> pem_text(const TextSource& source, LoadContext& ctx) {
  if (source.from_file) return source.text;
  auto pem = pem_from_value(source.text);
  if (!pem) source.value->error(ctx.sink, "must be PEM or base64-encoded PEM");
  return pem;
}

// A certificate/key value that may be PEM, base64 PEM or a file path (`certificates` entries).
std::optional<std::string> pem_or_file(const Value& value, LoadContext& ctx) {
  auto text = read_string(value, ctx.sink);
  if (!text) return std::nullopt;
  if (auto pem = pem_from_value(*text)) return pem;
  return read_named_file(value, ctx);
}

// Checks a server certificate and its key; adds them to `out` when both are fine.
void add_certificate(std::optional<std::string> cert, const Value& cert_value,
                     std::optional<std::string> key, const Value& key_value, LoadContext& ctx,
                     std::vector<Certificate>& out) {
  if (!cert || !key) return;
  std::string cert_error = check_certificates(*cert);
  if (!cert_error.empty()) cert_value.error(ctx.sink, cert_error);
  std::string key_error = check_private_key(*key);
  if (!key_error.empty()) key_value.error(ctx.sink, key_error);
  if (!cert_error.empty() || !key_error.empty()) return;
  std::string pair_error = check_key_pair(*cert, *key);
  if (!pair_error.empty()) {
    key_value.error(ctx.sink, pair_error);
    return;
  }
  out.push_back({std::move(*cert), std::move(*key)});
}

// A `cert` + `key` pair given by two keys of `map`; `reader` loads one value.
template <typename Reader>
void load_pair(const Mapping& map, std::string_view cert_key, std::string_view key_key,
               const Value& parent, LoadContext& ctx, Reader reader,
               std::vector<Certificate>& out) {
  const Value* cert = map.find(cert_key);
  const Value* key = map.find(key_key);
  if (cert != nullptr && cert->is_null()) cert = nullptr;
  if (key != nullptr && key->is_null()) key = nullptr;
  if (cert == nullptr && key == nullptr) return;
  if (cert == nullptr || key == nullptr) {
    const Value& present = cert != nullptr ? *cert : *key;
    std::string missing(cert == nullptr ? cert_key : key_key);
    std::string missing_path = join_path(parent.path, missing);
    present.error(ctx.sink, missing_path + " is required with " + present.path);
    return;
  }
  add_certificate(reader(*cert, ctx), *cert, reader(*key, ctx), *key, ctx, out);
}

std::optional<std::string> inline_pem(const Value& value, LoadContext& ctx) {
  return read_pem(value, ctx);
}

void load_certificates(const Mapping& top, LoadContext& ctx, Options& options) {
  Value root{YAML::Node(), "", false};
  load_pair(top, "certificate", "certificate_key", root, ctx, inline_pem, options.certificates);

  if (const Value* list = top.find("certificates"); list != nullptr && !list->is_null()) {
    if (!list->is_sequence()) {
      list->error(ctx.sink, "wrong type: expected a list of {cert, key}");
    } else {
      for (std::size_t i = 0; i < list->node.size(); ++i) {
        Value item = list->at_index(i, list->node[i]);
        Mapping entry(item, certificate_entry_keys(), ctx.sink);
        if (!entry.valid()) continue;
        if (!entry.has("cert") && !entry.has("key")) {
          item.error(ctx.sink, "cert and key are required");
          continue;
        }
        load_pair(entry, "cert", "key", item, ctx, pem_or_file, options.certificates);
      }
    }
  }

  load_pair(top, "certificate_file", "certificate_key_file", root, ctx, read_named_file,
            options.certificates);
}

void load_downstream_mtls(const Mapping& top, LoadContext& ctx, DownstreamMtls& mtls) {
  const Value* value = top.find("downstream_mtls");
  if (value == nullptr || value->is_null()) return;
  Mapping map(*value, downstream_mtls_keys(), ctx.sink);
  map.report_key_uses(ctx.sink);
  if (auto ca = read_inline_or_file(map, "ca", "ca_file", ctx)) {
    if (auto pem = pem_text(*ca, ctx)) {
      std::string error = check_certificates(*pem);
      if (error.empty()) {
        mtls.ca_pem = std::move(*pem);
      } else {
        ca->value->error(ctx.sink, error);
      }
    }
  }
  if (auto crl = read_inline_or_file(map, "crl", "crl_file", ctx)) {
    if (auto pem = pem_text(*crl, ctx)) {
      std::string error = check_crl(*pem);
      if (error.empty()) {
        mtls.crl_pem = std::move(*pem);
      } else {
        crl->value->error(ctx.sink, error);
      }
    }
  }
  if (const Value* enforcement = map.find("enforcement")) {
    if (auto text = read_string(*enforcement, ctx.sink)) {
      std::string mode = to_lower(trim(*text));
      if (mode == "policy" || mode == "policy_with_default_deny" || mode == "reject_connection") {
        mtls.enforcement = mode;
      } else {
        enforcement->error(ctx.sink,
                           "must be policy, policy_with_default_deny or reject_connection");
      }
    }
  }
  assign(map, "max_verify_depth", ctx, mtls.max_verify_depth);
  if (!mtls.ca_pem.empty()) {
    // Said loudly: a deployment that relies on client certificates must know they are not
    // checked yet (protected routes stay closed regardless; public routes stay public).
    value->warning(ctx.sink,
                   "downstream_mtls is not enforced yet: client certificates are neither "
                   "requested nor verified");
  }
}

}  // namespace

bool has_certificate_keys(const Mapping& top) {
  for (auto key : {"certificate", "certificate_key", "certificate_file", "certificate_key_file",
                   "certificates"}) {
    if (const Value* value = top.find(key); value != nullptr && value->is_set()) return true;
  }
  return false;
}

void load_tls_options(const Mapping& top, LoadContext& ctx, Options& options) {
  load_secret(top, "shared_secret", ctx, options.shared_secret);
  load_secret(top, "cookie_secret", ctx, options.cookie_secret);

  if (auto key = read_inline_or_file(top, "signing_key", "signing_key_file", ctx)) {
    if (auto pem = pem_text(*key, ctx)) {
      std::string error = check_private_key(*pem);
      if (error.empty()) {
        options.signing_key = std::move(*pem);
      } else {
        key->value->error(ctx.sink, error);
      }
    }
  }

  if (auto ca =
          read_inline_or_file(top, "certificate_authority", "certificate_authority_file", ctx)) {
    if (auto pem = pem_text(*ca, ctx)) {
      std::string error = check_certificates(*pem);
      if (error.empty()) {
        options.certificate_authority_pem = std::move(*pem);
      } else {
        ca->value->error(ctx.sink, error);
      }
    }
  }

  load_certificates(top, ctx, options);
  load_downstream_mtls(top, ctx, options.downstream_mtls);

  assign(top, "autocert", ctx, options.autocert);
  if (options.autocert) top.find("autocert")->warning(ctx.sink, "autocert is not supported yet");
}

}  // namespace portcullis::config::detail
