#include "config/pem.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "config/text.h"
#include "crypto/openssl_ptr.h"

namespace portcullis::config::detail {
namespace {

using crypto::BioPtr;
using crypto::CrlPtr;
using crypto::KeyPtr;
using crypto::X509Ptr;

// Never prompt for a passphrase: encrypted keys are refused.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

BioPtr memory_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  std::string reason;
  if (code != 0) {
    const char* text = ERR_reason_error_string(code);
    if (text != nullptr) reason = text;
  }
  ERR_clear_error();
  return reason;
}

std::string with_reason(std::string message) {
  std::string reason = openssl_reason();
  if (!reason.empty()) message += " (" + reason + ")";
  return message;
}

X509Ptr first_certificate(const std::string& pem) {
  auto bio = memory_bio(pem);
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
}

KeyPtr private_key(const std::string& pem) {
  auto bio = memory_bio(pem);
  if (!bio) return nullptr;
  return KeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
}

}  // namespace

bool looks_like_pem(std::string_view text) {
  return text.find("-----BEGIN ") != std::string_view::npos;
}

std::optional<std::string> pem_from_value(std::string_view value) {
  if (looks_like_pem(value)) return std::string(value);
  auto decoded = decode_base64_lenient(value);
  if (decoded && looks_like_pem(*decoded)) return decoded;
  return std::nullopt;
}

std::string check_certificates(const std::string& pem) {
  if (!looks_like_pem(pem)) return "no PEM data found";
  auto bio = memory_bio(pem);
  int count = 0;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
    if (!cert) break;
    ++count;
  }
  unsigned long last = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (count == 0) return with_reason("not a PEM certificate");
  if (!clean_end && last != 0) return with_reason("invalid PEM certificate");
  ERR_clear_error();
  return {};
}

std::string check_private_key(const std::string& pem) {
  if (!looks_like_pem(pem)) return "no PEM data found";
  if (!private_key(pem)) return with_reason("not a PEM private key (or it is encrypted)");
  ERR_clear_error();
  return {};
}

std::string check_key_pair(const std::string& cert_pem, const std::string& key_pem) {
  auto cert = first_certificate(cert_pem);
  auto key = private_key(key_pem);
  if (!cert || !key) {
    ERR_clear_error();
    return "cannot parse the certificate or the key";
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "the private key does not match the certificate";
  }
  return {};
}

std::string check_crl(const std::string& pem) {
  if (!looks_like_pem(pem)) return "no PEM data found";
  auto bio = memory_bio(pem);
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, no_passphrase, nullptr));
  if (!crl) return with_reason("not a PEM certificate revocation list");
  ERR_clear_error();
  return {};
}

}  // namespace portcullis::config::detail
