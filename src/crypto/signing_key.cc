#include "crypto/signing_key.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "crypto/encoding.h"
#include "crypto/hmac.h"
#include "crypto/jws_detail.h"
#include "crypto/openssl_ptr.h"

namespace portcullis::crypto {
namespace {

constexpr std::size_t kP256Size = 32;
constexpr std::string_view kDerivedKeyInfo = "derived-jwt-signing-key";

bool set_error(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// PEM as written, or the PEM inside standard base64 (line breaks allowed, as Go's decoder
// ignores them).
std::optional<std::string> pem_text(std::string_view text) {
  text = trim(text);
  if (text.find("-----BEGIN ") != std::string_view::npos) return std::string(text);
  std::string compact;
  for (const char c : text) {
    if (c != '\r' && c != '\n') compact += c;
  }
  auto decoded = base64_decode(compact, Base64::kStandard);
  if (!decoded || decoded->find("-----BEGIN ") == std::string::npos) return std::nullopt;
  return decoded;
}

struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

std::string ecdsa_der_to_raw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) throw std::runtime_error("ECDSA signature is not DER");
  std::string raw(2 * kP256Size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kP256Size) != kP256Size ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kP256Size, kP256Size) != kP256Size) {
    throw std::runtime_error("ECDSA signature component too large");
  }
  return raw;
}

}  // namespace

std::optional<SigningKey> SigningKey::from_private_key(std::shared_ptr<EVP_PKEY> key,
                                                       std::string* error) {
  const auto alg = detail::algorithm_for_key(key.get(), error);
  if (!alg) return std::nullopt;
  std::string kid = hex_encode(detail::jwk_thumbprint(detail::public_jwk_members(key.get(), *alg)));
  return SigningKey(PublicKey(std::move(key), *alg, std::move(kid)));
}

std::optional<SigningKey> SigningKey::from_pem(std::string_view text, std::string* error) {
  auto keys = load_signing_keys(text, error);
  if (!keys) return std::nullopt;
  return std::move(keys->front());
}

std::optional<std::vector<SigningKey>> load_signing_keys(std::string_view text,
                                                         std::string* error) {
  const auto pem = pem_text(text);
  if (!pem) {
    set_error(error, "signing key is neither PEM nor base64-encoded PEM");
    return std::nullopt;
  }
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (!bio) throw std::runtime_error("BIO allocation failed");
  std::vector<SigningKey> keys;
  // Block by block: private keys are decoded, anything else (certificates, public keys) skipped.
  for (;;) {
    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &length) != 1) break;
    const std::unique_ptr<char, OpenSslFree> name(raw_name);
    const std::unique_ptr<char, OpenSslFree> header(raw_header);
    const std::unique_ptr<unsigned char, OpenSslFree> data(raw_data);
    const std::string_view type(name.get());
    if (type != "PRIVATE KEY" && type != "EC PRIVATE KEY" && type != "RSA PRIVATE KEY" &&
        type != "ENCRYPTED PRIVATE KEY") {
      continue;
    }
    const std::string label = "signing key " + std::to_string(keys.size() + 1);
    // A Proc-Type header marks a traditionally encrypted key.
    if (type == "ENCRYPTED PRIVATE KEY" || *header.get() != '\0') {
      set_error(error, label + " is encrypted");
      return std::nullopt;
    }
    const unsigned char* der = data.get();
    EVP_PKEY* decoded = d2i_AutoPrivateKey(nullptr, &der, length);
    if (decoded == nullptr) {
      ERR_clear_error();
      set_error(error, label + " cannot be decoded");
      return std::nullopt;
    }
    std::string why;
    auto key =
        SigningKey::from_private_key(std::shared_ptr<EVP_PKEY>(decoded, EVP_PKEY_free), &why);
    if (!key) {
      set_error(error, label + ": " + why);
      return std::nullopt;
    }
    keys.push_back(std::move(*key));
  }
  // The loop ends at the end of the text, which leaves a "no start line" error behind.
  ERR_clear_error();
  if (keys.empty()) {
    set_error(error, "no private key found in signing key PEM");
    return std::nullopt;
  }
  return keys;
}

std::string SigningKey::sign(const nlohmann::json& claims,
                             const nlohmann::json& header_extra) const {
  std::string token = detail::signing_input(
      detail::make_header(to_string(algorithm()), key_id(), header_extra), claims);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(token.data());
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key_.key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, input, token.size()) != 1) {
    throw std::runtime_error("JWS signing failed");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, input,
                     token.size()) != 1) {
    throw std::runtime_error("JWS signing failed");
  }
  signature.resize(size);
  if (algorithm() == JwsAlgorithm::kEs256) signature = ecdsa_der_to_raw(signature);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

SigningKey derive_signing_key(std::string_view shared_secret) {
  // OpenSSL does the arithmetic; the steps are spelled out in signing_key.h.
  const std::string seed = hkdf_sha256(shared_secret, "", kDerivedKeyInfo, kP256Size + 8);
  EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtxPtr bn_ctx(BN_CTX_secure_new());
  BignumPtr c(BN_bin2bn(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), nullptr));
  BignumPtr n_minus_1(BN_dup(group ? EC_GROUP_get0_order(group.get()) : nullptr));
  BignumPtr d(BN_secure_new());
  if (!group || !bn_ctx || !c || !n_minus_1 || !d || BN_sub_word(n_minus_1.get(), 1) != 1 ||
      BN_mod(d.get(), c.get(), n_minus_1.get(), bn_ctx.get()) != 1 ||
      BN_add_word(d.get(), 1) != 1) {
    throw std::runtime_error("deriving the signing key failed");
  }

  EcPointPtr q(EC_POINT_new(group.get()));
  unsigned char point[1 + 2 * kP256Size];
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point,
                         bn_ctx.get()) != sizeof point) {
    throw std::runtime_error("deriving the signing key failed");
  }

  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                       sizeof point) != 1) {
    throw std::runtime_error("deriving the signing key failed");
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  KeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    throw std::runtime_error("deriving the signing key failed");
  }
  auto key = SigningKey::from_private_key(std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free), nullptr);
  if (!key) throw std::runtime_error("derived signing key is unusable");
  return std::move(*key);
}

}  // namespace portcullis::crypto
