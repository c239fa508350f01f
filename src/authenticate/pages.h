#pragma once
// The small HTML pages of the sign-in flow. Every value shown is HTML-escaped; tokens are never
// shown.

#include <string>
#include <string_view>
#include <vector>

#include "authenticate/exchange.h"

namespace portcullis::authenticate {

std::string html_escape(std::string_view text);

// A complete error response: `status` with an HTML page naming the problem.
Response error_response(int status, std::string_view title, std::string_view detail);

struct UserPageData {
  std::string name;
  std::string email;
  std::string user_id;
  std::vector<std::string> groups;
  std::string session_expires;  // human-readable UTC time
  std::string sign_out_action;  // where the sign-out form posts
};

Response user_page(const UserPageData& data);
Response signed_out_page();
// Asks the user to confirm a sign-out that arrived without a signature (a link from elsewhere).
Response sign_out_confirmation_page(std::string_view signed_sign_out_url);

}  // namespace portcullis::authenticate
