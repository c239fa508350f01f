#pragma once
// From a policy decision to the HTTP status the proxy answers (authorize/check_response.go:
// handleResult), and the Accept-header test that picks a sign-in redirect over a 401.

#include <string_view>

#include "policy/decision.h"

namespace portcullis::authorize {

inline constexpr int kStatusOk = 200;
inline constexpr int kStatusSignInRedirect = 302;
inline constexpr int kStatusUnauthorized = 401;
inline constexpr int kStatusForbidden = 403;
inline constexpr int kStatusNotFound = 404;
inline constexpr int kStatusDeviceUnauthorized = 450;
inline constexpr int kStatusCertificateError = 495;

// In Pomerium's order: a client-certificate failure among the deny reasons → 495 (no sign-in
// first); user-unauthenticated anywhere → 302 for browsers, else 401; a true deny → 403 (404 for
// route-not-found, 450 for device-unauthorized); a true allow → 200; otherwise 403. Portcullis
// registers no devices, so device-unauthenticated is a plain 403.
int decision_status(const policy::Decision& decision, bool prefers_html);

// True when the Accept header ranks text/html above both application/json and */* by q-value,
// as browsers' navigation requests do; false for curl's */*, an API's application/json or no
// header at all.
bool prefers_html(std::string_view accept);

}  // namespace portcullis::authorize
