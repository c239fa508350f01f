#pragma once
// The session handle (reference §4.2): what the `_pomerium` and `_pomerium_authenticate` cookies
// and `pomerium_jwt` hold. Its format and codec are crypto/session_handle.h.

#include <string>
#include <string_view>

#include "crypto/session_handle.h"

namespace portcullis::authenticate {

// The codec is shared with the authorize side.
using crypto::decode_session_handle;
using crypto::encode_session_handle;
using crypto::SessionHandle;

// The raw handle a request carries outside cookies: "X-Pomerium-Authorization: <jwt>",
// "Authorization: Pomerium <jwt>" or "Authorization: Bearer Pomerium-<jwt>"; "" when none.
std::string handle_from_headers(std::string_view authorization,
                                std::string_view pomerium_authorization);

}  // namespace portcullis::authenticate
