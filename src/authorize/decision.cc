#include "authorize/decision.h"

#include <charconv>

namespace portcullis::authorize {

using policy::Reason;

int decision_status(const policy::Decision& decision, bool html) {
  const auto& deny = decision.deny.reasons;
  const auto& allow = decision.allow.reasons;
  if (deny.has(Reason::kClientCertificateRequired) || deny.has(Reason::kInvalidClientCertificate)) {
    return kStatusCertificateError;
  }
  if (allow.has(Reason::kUserUnauthenticated) || deny.has(Reason::kUserUnauthenticated)) {
    return html ? kStatusSignInRedirect : kStatusUnauthorized;
  }
  if (decision.deny.value) {
    if (deny.has(Reason::kDeviceUnauthorized)) return kStatusDeviceUnauthorized;
    if (deny.has(Reason::kRouteNotFound)) return kStatusNotFound;
    return kStatusForbidden;
  }
  if (decision.allow.value) return kStatusOk;
  return kStatusForbidden;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? char(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// q in thousandths (RFC 9110 allows at most three decimals); 1000 when absent, -1 when malformed.
int parse_q(std::string_view params) {
  int q = 1000;
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    auto eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "q")) continue;
    std::string_view value = trim(param.substr(eq + 1));
    if (value.empty() || (value[0] != '0' && value[0] != '1')) return -1;
    int whole = value[0] - '0';
    int thousandths = 0;
    std::size_t digits = 0;
    if (value.size() > 1) {
      if (value[1] != '.') return -1;
      for (std::size_t i = 2; i < value.size(); ++i) {
        if (value[i] < '0' || value[i] > '9' || ++digits > 3) return -1;
        thousandths = thousandths * 10 + (value[i] - '0');
      }
    }
    for (; digits < 3; ++digits) thousandths *= 10;
    q = whole * 1000 + thousandths;
    if (q > 1000) return -1;
  }
  return q;
}

}  // namespace

bool prefers_html(std::string_view accept) {
  // The q of the most specific range matching each type (RFC 9110 §12.5.1); 0 when none does.
  int html = 0, html_rank = -1, json = 0, json_rank = -1, any = 0;
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view range = trim(item.substr(0, semi));
    int q = parse_q(semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1));
    if (range.empty() || q < 0) continue;
    auto consider = [&](std::string_view type, int& best, int& rank) {
      int r = -1;
      if (iequals(range, type)) {
        r = 2;
      } else if (range.size() > 2 && range.ends_with("/*") &&
                 iequals(range.substr(0, range.size() - 1), type.substr(0, range.size() - 1))) {
        r = 1;
      } else if (range == "*/*") {
        r = 0;
      }
      if (r > rank) {
        rank = r;
        best = q;
      }
    };
    consider("text/html", html, html_rank);
    consider("application/json", json, json_rank);
    if (range == "*/*") any = q;
  }
  return html > 0 && html > json && html > any;
}

}  // namespace portcullis::authorize
