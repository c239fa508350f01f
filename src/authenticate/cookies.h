#pragma once
// Set-Cookie values for the session, CSRF and PKCE cookies. Every cookie is Secure and Path=/
// (Pomerium's NewCookie); HttpOnly, Domain and SameSite follow the cookie_* options.

#include <chrono>
#include <string>
#include <string_view>

#include "authenticate/settings.h"

namespace portcullis::authenticate {

// A Set-Cookie value. `max_age` 0 or less deletes the cookie (Max-Age=0 and an Expires in 1970).
// `same_site` overrides settings.same_site when given.
std::string make_set_cookie(std::string_view name, std::string_view value,
                            const CookieSettings& settings, std::chrono::seconds max_age,
                            std::chrono::system_clock::time_point now,
                            std::string_view same_site_override = {});

std::string make_clear_cookie(std::string_view name, const CookieSettings& settings);

}  // namespace portcullis::authenticate
