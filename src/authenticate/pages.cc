#include "authenticate/pages.h"

namespace portcullis::authenticate {
namespace {

std::string page(std::string_view title, std::string_view body) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>";
  out += html_escape(title);
  out +=
      "</title><style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em}"
      "dt{font-weight:bold}dd{margin:0 0 .6em 0}</style></head><body>\n<h1>";
  out += html_escape(title);
  out += "</h1>\n";
  out += body;
  out += "\n</body></html>\n";
  return out;
}

Response html(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  response.add_header("Cache-Control", "no-store");
  return response;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Response error_response(int status, std::string_view title, std::string_view detail) {
  std::string body =
      "<p>" + html_escape(detail) + "</p>\n<p>Status: " + std::to_string(status) + "</p>";
  return html(status, page(title, body));
}

Response user_page(const UserPageData& data) {
  std::string body = "<dl>\n";
  auto row = [&body](std::string_view label, std::string_view value) {
    body += "<dt>" + html_escape(label) + "</dt><dd>" + html_escape(value) + "</dd>\n";
  };
  row("Name", data.name);
  row("Email", data.email);
  row("User ID", data.user_id);
  std::string groups;
  for (const auto& group : data.groups) groups += (groups.empty() ? "" : ", ") + group;
  row("Groups", groups);
  row("Session expires", data.session_expires);
  body += "</dl>\n<form method=\"post\" action=\"" + html_escape(data.sign_out_action) +
          "\"><button type=\"submit\">Sign out</button></form>";
  return html(200, page("Signed in", body));
}

Response signed_out_page() {
  return html(200, page("Signed out", "<p>You have been signed out.</p>"));
}

Response sign_out_confirmation_page(std::string_view signed_sign_out_url) {
  std::string body = "<p>Do you want to sign out?</p>\n<form method=\"post\" action=\"" +
                     html_escape(signed_sign_out_url) +
                     "\"><button type=\"submit\">Sign out</button></form>";
  return html(200, page("Sign out", body));
}

}  // namespace portcullis::authenticate
