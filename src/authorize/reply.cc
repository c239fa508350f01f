#include "authorize/reply.h"

#include "telemetry/log.h"

namespace portcullis::authorize {

policy::ReasonSet shown_reasons(const policy::Decision& decision) {
  return decision.deny.value ? decision.deny.reasons : decision.allow.reasons;
}

std::string_view describe(policy::Reason reason) {
  using policy::Reason;
  switch (reason) {
    case Reason::kUserUnauthenticated:
      return "sign-in is required";
    case Reason::kUserUnauthorized:
      return "the user is not allowed";
    case Reason::kEmailUnauthorized:
      return "the email address is not allowed";
    case Reason::kDomainUnauthorized:
      return "the email domain is not allowed";
    case Reason::kGroupsUnauthorized:
      return "the user's groups are not allowed";
    case Reason::kClaimUnauthorized:
      return "the user's claims are not allowed";
    case Reason::kHttpMethodUnauthorized:
      return "the request method is not allowed";
    case Reason::kHttpMethodOk:
      return "the request method is denied";
    case Reason::kHttpPathUnauthorized:
      return "the request path is not allowed";
    case Reason::kHttpPathOk:
      return "the request path is denied";
    case Reason::kSourceIpUnauthorized:
      return "the client address is not allowed";
    case Reason::kSourceIpOk:
      return "the client address is denied";
    case Reason::kClientCertificateRequired:
      return "a client certificate is required";
    case Reason::kInvalidClientCertificate:
      return "the client certificate is not valid";
    case Reason::kClientCertificateUnauthorized:
      return "the client certificate is not allowed";
    case Reason::kDeviceUnauthenticated:
      return "a registered device is required";
    case Reason::kDeviceUnauthorized:
      return "the device is not allowed";
    case Reason::kNonCorsRequest:
      return "the request is not a CORS preflight";
    case Reason::kReject:
      return "the policy rejects every request";
    case Reason::kRouteNotFound:
      return "no route matches";
    case Reason::kDateUnauthorized:
      return "access is not allowed on this date";
    case Reason::kDayOfWeekUnauthorized:
      return "access is not allowed on this day";
    case Reason::kTimeOfDayUnauthorized:
      return "access is not allowed at this time";
    case Reason::kRecordUnauthorized:
      return "a required record does not match";
    default:
      // An "-ok" reason among the deny reasons: the policy denies what it matched.
      return policy::to_string(reason);
  }
}

bool prefers_json(std::string_view accept) {
  auto json = accept.find("application/json");
  if (json == std::string_view::npos) return false;
  auto html = accept.find("text/html");
  return html == std::string_view::npos || json < html;
}

std::string_view status_text(int status) {
  switch (status) {
    case 302:
      return "Found";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 450:
      return "Device Unauthorized";
    case 495:
      return "SSL Certificate Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

void append_html_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '&':
        out.append("&amp;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
}

Reply error_reply(const ErrorDetails& details) {
  Reply reply;
  reply.status = details.status;
  reply.headers.emplace_back(kInterceptedHeader, "true");
  std::string_view title_text = status_text(details.status);
  if (details.json) {
    reply.content_type = "application/json";
    reply.body = "{\"error\":";
    telemetry::append_json_string(reply.body,
                                  details.message.empty() ? title_text : details.message);
    reply.body.append(",\"request_id\":");
    telemetry::append_json_string(reply.body, details.request_id);
    reply.body.append("}\n");
    return reply;
  }
  reply.content_type = "text/html; charset=utf-8";
  std::string title = std::to_string(details.status) + " " + std::string(title_text);
  auto& body = reply.body;
  body.reserve(1024);
  body.append(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
  append_html_escaped(body, title);
  body.append(
      "</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;"
      "padding:0 1rem;color:#222}code{background:#eee;padding:0 .2rem}</style></head>\n<body><h1>");
  append_html_escaped(body, title);
  body.append("</h1>\n");
  if (!details.message.empty()) {
    body.append("<p>");
    append_html_escaped(body, details.message);
    body.append("</p>\n");
  }
  if (!details.reasons.empty()) {
    body.append("<ul class=\"reasons\">\n");
    for (auto reason : details.reasons) {
      body.append("<li>");
      append_html_escaped(body, describe(reason));
      body.append(" <small>(<code>");
      append_html_escaped(body, policy::to_string(reason));
      body.append("</code>)</small></li>\n");
    }
    body.append("</ul>\n");
  }
  body.append("<p>Request ID: <code>");
  append_html_escaped(body, details.request_id);
  body.append("</code></p>\n</body></html>\n");
  return reply;
}

Reply redirect_reply(std::string location) {
  Reply reply;
  reply.status = 302;
  reply.content_type = "text/html; charset=utf-8";
  reply.body = "<a href=\"";
  append_html_escaped(reply.body, location);
  reply.body.append("\">Found</a>.\n");
  reply.location = std::move(location);
  reply.headers.emplace_back(kInterceptedHeader, "true");
  return reply;
}

}  // namespace portcullis::authorize
