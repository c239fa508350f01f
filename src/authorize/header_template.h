#pragma once
// set_request_headers values are templates (Pomerium's internal/headertemplate): `$$` is a
// literal `$`; `$a.b.c` and `${ a . b ["c"] }` are references. The references Pomerium fills in
// are pomerium.access_token, pomerium.id_token, pomerium.jwt, pomerium.client_cert_fingerprint,
// pomerium.client_cert_san_dns, pomerium.client_cert_san_email and
// pomerium.request.headers["Name"]; Portcullis adds pomerium.email, pomerium.user and
// pomerium.name (the identity's email, user id and name). Any other reference renders as "". Text
// that does not parse as a reference stays as written. Templates are parsed once per configuration
// snapshot.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/input.h"

namespace portcullis::authorize {

enum class TemplateRef {
  kUnknown,
  kAccessToken,
  kIdToken,
  kJwt,
  kEmail,
  kUser,
  kName,
  kClientCertFingerprint,
  kClientCertSanDns,
  kClientCertSanEmail,
  kRequestHeader,
};

// What references render to for one request.
struct TemplateContext {
  std::string_view access_token;
  std::string_view id_token;
  std::string_view jwt;
  std::string_view email;    // the identity JWT's email claim
  std::string_view user_id;  // its sub / user claim
  std::string_view name;     // its name claim
  const policy::ClientCertificateView* client_certificate = nullptr;
  std::span<const policy::HeaderView> request_headers;
};

class HeaderTemplate {
 public:
  static HeaderTemplate parse(std::string_view text);

  // True when the template has no reference (it renders to a fixed text).
  bool is_literal() const { return literal_; }
  bool uses(TemplateRef ref) const;

  void render(std::string& out, const TemplateContext& context) const;
  std::string render(const TemplateContext& context) const;

 private:
  struct Part {
    TemplateRef ref = TemplateRef::kUnknown;  // for a reference
    bool is_text = true;
    std::string text;  // literal text, or the header name of kRequestHeader
  };
  std::vector<Part> parts_;
  bool literal_ = true;
};

}  // namespace portcullis::authorize
