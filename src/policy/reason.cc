#include "policy/reason.h"

#include <array>

namespace portcullis::policy {

namespace {

constexpr std::array<std::string_view, kReasonCount> kNames = {
    "accept",
    "claim-ok",
    "claim-unauthorized",
    "client-certificate-ok",
    "client-certificate-required",
    "client-certificate-unauthorized",
    "cors-request",
    "date-ok",
    "date-unauthorized",
    "day-of-week-ok",
    "day-of-week-unauthorized",
    "device-ok",
    "device-unauthenticated",
    "device-unauthorized",
    "domain-ok",
    "domain-unauthorized",
    "email-ok",
    "email-unauthorized",
    "groups-ok",
    "groups-unauthorized",
    "http-method-ok",
    "http-method-unauthorized",
    "http-path-ok",
    "http-path-unauthorized",
    "invalid-client-certificate",
    "non-cors-request",
    "pomerium-route",
    "record-ok",
    "record-unauthorized",
    "reject",
    "route-not-found",
    "source-ip-ok",
    "source-ip-unauthorized",
    "time-of-day-ok",
    "time-of-day-unauthorized",
    "user-ok",
    "user-unauthenticated",
    "user-unauthorized",
    "valid-client-certificate",
};

}  // namespace

std::string_view to_string(Reason reason) {
  return kNames[static_cast<std::size_t>(reason)];
}

bool parse_reason(std::string_view text, Reason& out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) {
      out = static_cast<Reason>(i);
      return true;
    }
  }
  return false;
}

}  // namespace portcullis::policy
