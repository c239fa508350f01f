// client_certificate: the presented certificate's fingerprint, SPKI hash or SANs match;
// invalid_client_certificate: no valid certificate (used by deny rules under downstream mTLS).

#include <optional>
#include <vector>

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class ClientCertificate final : public Criterion {
 public:
  std::vector<std::string> fingerprints;  // lower-case hex; empty: not checked
  std::vector<std::string> spki_hashes;   // base64; empty: not checked
  std::optional<StringMatcher> san_dns, san_email, san_uri;

  CriterionResult evaluate(const EvalInput& input) const override {
    const auto& cert = input.request.client_certificate;
    bool body = cert.presented && one_of(fingerprints, cert.fingerprint_sha256) &&
                one_of(spki_hashes, cert.spki_hash) &&
                (!san_dns || san_dns->matches_some(cert.san_dns)) &&
                (!san_email || san_email->matches_some(cert.san_email)) &&
                (!san_uri || san_uri->matches_some(cert.san_uri));
    return plain_result(body, Reason::kClientCertificateOk, Reason::kClientCertificateUnauthorized);
  }

 private:
  static bool one_of(const std::vector<std::string>& allowed, std::string_view value) {
    if (allowed.empty()) return true;
    for (const auto& a : allowed) {
      if (a == value) return true;
    }
    return false;
  }
};

class InvalidClientCertificate final : public Criterion {
 public:
  CriterionResult evaluate(const EvalInput& input) const override {
    const auto& cert = input.request.client_certificate;
    if (cert.valid) return {false, {Reason::kValidClientCertificate}};
    if (!cert.presented) return {true, {Reason::kClientCertificateRequired}};
    return {true, {Reason::kInvalidClientCertificate}};
  }
};

std::vector<const nlohmann::json*> string_or_list(const nlohmann::json& value,
                                                  std::string_view what) {
  std::vector<const nlohmann::json*> items;
  if (value.is_string()) {
    items.push_back(&value);
  } else if (value.is_array() && !value.empty()) {
    for (const auto& item : value) items.push_back(&item);
  } else {
    throw PolicyError("client_certificate: " + std::string(what) +
                      " expects a string or a non-empty array of strings, got " +
                      json_type_name(value));
  }
  for (const auto* item : items) {
    if (!item->is_string() || item->get_ref<const std::string&>().empty()) {
      throw PolicyError("client_certificate: " + std::string(what) +
                        " must be a non-empty string (was " + json_text(*item) + ")");
    }
  }
  return items;
}

bool is_hex(std::string_view s, bool upper) {
  for (char c : s) {
    bool digit = c >= '0' && c <= '9';
    bool letter = upper ? (c >= 'A' && c <= 'F') : (c >= 'a' && c <= 'f');
    if (!digit && !letter) return false;
  }
  return true;
}

// The short form (64 lower-case hex digits) as is, the long form (32 upper-case hex bytes joined
// by colons, as openssl prints it) converted to the short one.
std::string canonical_fingerprint(const std::string& f) {
  if (f.size() == 64 && is_hex(f, false)) return f;
  if (f.size() == 95) {
    std::string out;
    bool ok = true;
    for (std::size_t i = 0; i < 32 && ok; ++i) {
      std::string_view pair(f.data() + i * 3, 2);
      ok = is_hex(pair, true) && (i == 31 || f[i * 3 + 2] == ':');
      for (char c : pair) out.push_back(c >= 'A' && c <= 'F' ? char(c - 'A' + 'a') : c);
    }
    if (ok) return out;
  }
  throw PolicyError("client_certificate: unsupported certificate fingerprint format (" + f + ")");
}

// Standard base64 (with padding) of a 32-byte SHA-256 hash: 43 characters and one '='.
void check_spki_hash(const std::string& h) {
  bool ok = h.size() == 44 && h[43] == '=';
  for (std::size_t i = 0; ok && i < 43; ++i) {
    char c = h[i];
    ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
  }
  // The last character before the padding carries 2 unused bits that must be zero.
  if (ok) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ok = (kAlphabet.find(h[42]) & 0x3) == 0;
  }
  if (!ok) {
    throw PolicyError(
        "client_certificate: certificate SPKI hash must be a base64-encoded SHA-256 hash (was " +
        h + ")");
  }
}

}  // namespace

CriterionPtr make_client_certificate(const CriterionSpec& spec) {
  if (!spec.data.is_object()) {
    throw PolicyError("client_certificate: expected object for certificate matcher, got " +
                      json_type_name(spec.data));
  }
  if (spec.data.empty()) {
    throw PolicyError(
        "client_certificate: the certificate matcher needs at least one of fingerprint, "
        "spki_hash, san_dns, san_email, san_uri");
  }
  auto c = std::make_unique<ClientCertificate>();
  for (const auto& [key, value] : spec.data.items()) {
    if (key == "fingerprint") {
      for (const auto* item : string_or_list(value, key)) {
        c->fingerprints.push_back(canonical_fingerprint(item->get<std::string>()));
      }
    } else if (key == "spki_hash") {
      for (const auto* item : string_or_list(value, key)) {
        check_spki_hash(item->get<std::string>());
        c->spki_hashes.push_back(item->get<std::string>());
      }
    } else if (key == "san_dns") {
      c->san_dns = StringMatcher::parse(value);
    } else if (key == "san_email") {
      c->san_email = StringMatcher::parse(value);
    } else if (key == "san_uri") {
      c->san_uri = StringMatcher::parse(value);
    } else {
      throw PolicyError("client_certificate: unsupported certificate matcher condition \"" + key +
                        "\" (expected fingerprint, spki_hash, san_dns, san_email or san_uri)");
    }
  }
  return c;
}

CriterionPtr make_invalid_client_certificate(const CriterionSpec& spec) {
  check_unused_data(spec);
  return std::make_unique<InvalidClientCertificate>();
}

}  // namespace portcullis::policy
