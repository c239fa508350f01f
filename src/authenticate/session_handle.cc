#include "authenticate/session_handle.h"

namespace portcullis::authenticate {

std::string handle_from_headers(std::string_view authorization,
                                std::string_view pomerium_authorization) {
  if (!pomerium_authorization.empty()) return std::string(pomerium_authorization);
  return std::string(crypto::handle_from_authorization(authorization).token);
}

}  // namespace portcullis::authenticate
