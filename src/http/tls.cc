#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <stdexcept>

#include "crypto/openssl_ptr.h"

namespace portcullis::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

using crypto::BioPtr;
using crypto::GeneralNamesPtr;
using crypto::KeyPtr;
using crypto::X509Ptr;

std::vector<std::string> certificate_names(const std::string& cert_pem) {
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw std::runtime_error("certificate is not a PEM X.509 certificate");
  std::vector<std::string> names;
  GeneralNamesPtr sans(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
      if (name->type != GEN_DNS) continue;
      const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
      names.push_back(
          lower(std::string_view(reinterpret_cast<const char*>(data),
                                 static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)))));
    }
  }
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn,
                                  sizeof cn) > 0) {
      names.push_back(lower(cn));
    }
  }
  return names;
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

CertificatePem generate_self_signed_certificate(const std::string& common_name) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("self-signed certificate: " + openssl_error());
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + common_name;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (ext != nullptr) {
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("self-signed certificate: " + openssl_error());
  }
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return CertificatePem{bio_to_string(cert_bio.get()), bio_to_string(key_bio.get())};
}

bool certificate_name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") {
    auto suffix = pattern.substr(1);  // ".example.com"
    if (name.size() <= suffix.size()) return false;
    if (name.substr(name.size() - suffix.size()) != suffix) return false;
    auto label = name.substr(0, name.size() - suffix.size());
    return label.find('.') == std::string_view::npos;
  }
  return pattern == name;
}

ServerTlsContexts::ServerTlsContexts(const std::vector<CertificatePem>& certificates) {
  if (certificates.empty()) throw std::runtime_error("no TLS certificate configured");
  for (std::size_t i = 0; i < certificates.size(); ++i) {
    const auto& cert = certificates[i];
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    boost::system::error_code ec;
    context->use_certificate_chain(asio::buffer(cert.cert_pem), ec);
    if (ec) throw std::runtime_error("certificate " + std::to_string(i) + ": " + ec.message());
    context->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem, ec);
    if (ec) throw std::runtime_error("certificate key " + std::to_string(i) + ": " + ec.message());
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      throw std::runtime_error("certificate " + std::to_string(i) +
                               ": the key does not match the certificate (" + openssl_error() +
                               ")");
    }
    // ALPN: HTTP/1.1 only for now.
    SSL_CTX_set_alpn_select_cb(
        context->native_handle(),
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
           unsigned int inlen, void*) -> int {
          static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
          unsigned char* selected = nullptr;
          if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) ==
              OPENSSL_NPN_NEGOTIATED) {
            *out = selected;
            return SSL_TLSEXT_ERR_OK;
          }
          return SSL_TLSEXT_ERR_NOACK;
        },
        nullptr);
    entries_.push_back(Entry{std::move(context), certificate_names(cert.cert_pem)});
  }
  SSL_CTX_set_tlsext_servername_callback(entries_.front().context->native_handle(),
                                         &ServerTlsContexts::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(entries_.front().context->native_handle(), this);
}

ServerTlsContexts::~ServerTlsContexts() = default;

std::size_t ServerTlsContexts::select(std::string_view server_name) const {
  std::string name = lower(server_name);
  // Exact names beat wildcards, then file order.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    for (const auto& pattern : entries_[i].names) {
      if (pattern == name) return i;
    }
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    for (const auto& pattern : entries_[i].names) {
      if (certificate_name_matches(pattern, name)) return i;
    }
  }
  return 0;
}

int ServerTlsContexts::on_server_name(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const ServerTlsContexts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  std::size_t index = self->select(name);
  if (index != 0) SSL_set_SSL_CTX(ssl, self->entries_[index].context->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

std::shared_ptr<ssl::context> make_client_tls_context(const ClientTlsOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (options.skip_verify) {
    context->set_verify_mode(ssl::verify_none);
  } else {
    context->set_verify_mode(ssl::verify_peer);
    if (!options.custom_ca_pem.empty()) {
      context->add_certificate_authority(asio::buffer(options.custom_ca_pem), ec);
      if (ec) throw std::runtime_error("tls_custom_ca: " + ec.message());
    } else {
      context->set_default_verify_paths(ec);
      if (ec) throw std::runtime_error("system CA certificates: " + ec.message());
    }
  }
  if (!options.client_cert_pem.empty()) {
    context->use_certificate_chain(asio::buffer(options.client_cert_pem), ec);
    if (ec) throw std::runtime_error("tls_client_cert: " + ec.message());
    context->use_private_key(asio::buffer(options.client_key_pem), ssl::context::pem, ec);
    if (ec) throw std::runtime_error("tls_client_key: " + ec.message());
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      throw std::runtime_error("tls_client_key does not match tls_client_cert (" + openssl_error() +
                               ")");
    }
  }
  return context;
}

}  // namespace portcullis::http
