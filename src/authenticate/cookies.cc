#include "authenticate/cookies.h"

#include <ctime>

namespace portcullis::authenticate {
namespace {

std::string http_date(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

}  // namespace

std::string make_set_cookie(std::string_view name, std::string_view value,
                            const CookieSettings& settings, std::chrono::seconds max_age,
                            std::chrono::system_clock::time_point now,
                            std::string_view same_site_override) {
  std::string out;
  out.append(name).append("=").append(value).append("; Path=/");
  if (!settings.domain.empty()) out.append("; Domain=").append(settings.domain);
  if (max_age.count() > 0) {
    out.append("; Expires=").append(http_date(now + max_age));
    out.append("; Max-Age=").append(std::to_string(max_age.count()));
  } else {
    out.append("; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0");
  }
  out.append("; Secure");
  if (settings.http_only) out.append("; HttpOnly");
  std::string_view same_site = same_site_override.empty() ? settings.same_site : same_site_override;
  if (same_site == "strict") out.append("; SameSite=Strict");
  if (same_site == "lax") out.append("; SameSite=Lax");
  if (same_site == "none") out.append("; SameSite=None");
  return out;
}

std::string make_clear_cookie(std::string_view name, const CookieSettings& settings) {
  return make_set_cookie(name, "", settings, std::chrono::seconds(0),
                         std::chrono::system_clock::time_point{});
}

}  // namespace portcullis::authenticate
