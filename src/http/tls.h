#pragma once
// TLS contexts: the server side picks a certificate by SNI among several (wildcards included);
// the client side verifies upstream certificates (system CAs or a custom CA) and may present a
// client certificate.

#include <memory>
#include <string>
#include <vector>

#include "http/asio.h"

namespace portcullis::http {

struct CertificatePem {
  std::string cert_pem;  // leaf first, then the chain
  std::string key_pem;
};

// A server context set: `context()` is handed to ssl streams; its SNI callback swaps in the
// context whose certificate names the requested host. Immutable once built.
class ServerTlsContexts {
 public:
  // Throws std::runtime_error naming the problem when a certificate or key does not load.
  explicit ServerTlsContexts(const std::vector<CertificatePem>& certificates);
  ~ServerTlsContexts();
  ServerTlsContexts(const ServerTlsContexts&) = delete;
  ServerTlsContexts& operator=(const ServerTlsContexts&) = delete;

  ssl::context& context() { return *entries_.front().context; }

  // The index of the certificate chosen for `server_name` (exposed for tests).
  std::size_t select(std::string_view server_name) const;

 private:
  struct Entry {
    std::unique_ptr<ssl::context> context;
    std::vector<std::string> names;  // lower-case DNS names from the SAN (or CN), may be "*.x"
  };
  static int on_server_name(SSL* ssl, int* alert, void* arg);
  std::vector<Entry> entries_;
};

struct ClientTlsOptions {
  bool skip_verify = false;
  std::string custom_ca_pem;  // empty: the system's CAs
  std::string client_cert_pem;
  std::string client_key_pem;
};

// Throws std::runtime_error when a PEM does not load.
std::shared_ptr<ssl::context> make_client_tls_context(const ClientTlsOptions& options);

// A throwaway self-signed P-256 certificate for `common_name` (also its DNS SAN), valid for a
// year: what Portcullis serves when TLS is on and no certificate is configured, as Pomerium does.
CertificatePem generate_self_signed_certificate(const std::string& common_name);

// True when `name` (lower-case) matches `pattern`, which may start with "*." (one label).
bool certificate_name_matches(std::string_view pattern, std::string_view name);

}  // namespace portcullis::http
