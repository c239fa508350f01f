#pragma once
// Internal to the loader: recognising and checking PEM certificates and keys (OpenSSL).

#include <optional>
#include <string>
#include <string_view>

namespace portcullis::config::detail {

bool looks_like_pem(std::string_view text);
// PEM as written, or PEM decoded from base64; nullopt when neither.
std::optional<std::string> pem_from_value(std::string_view value);

// Each returns "" when fine, otherwise what is wrong.
std::string check_certificates(const std::string& pem);  // one or more X.509 certificates
std::string check_private_key(const std::string& pem);
std::string check_key_pair(const std::string& cert_pem, const std::string& key_pem);
std::string check_crl(const std::string& pem);

}  // namespace portcullis::config::detail
