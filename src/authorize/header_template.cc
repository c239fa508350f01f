#include "authorize/header_template.h"

namespace portcullis::authorize {
namespace {

bool is_identifier_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '-';
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? char(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? char(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

// A cursor over the template text; each parse_* leaves `pos` unchanged when it fails.
struct Scanner {
  std::string_view text;
  std::size_t pos = 0;

  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  bool at_end() const { return pos >= text.size(); }
  void skip_blanks() {
    while (pos < text.size() && is_blank(text[pos])) ++pos;
  }

  bool parse_identifier(std::string& out) {
    std::size_t start = pos;
    while (pos < text.size() && is_identifier_char(text[pos])) ++pos;
    if (pos == start) return false;
    out.assign(text.substr(start, pos - start));
    return true;
  }

  // "..." with backslash escaping the next character.
  bool parse_string(std::string& out) {
    std::size_t start = pos;
    if (peek() != '"') return false;
    ++pos;
    std::string value;
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == '"') {
        out = std::move(value);
        return true;
      }
      if (c == '\\') {
        if (pos >= text.size()) break;
        c = text[pos++];
      }
      value.push_back(c);
    }
    pos = start;
    return false;
  }

  // identifier ( '.' identifier | '[' string ']' )* with blanks allowed around the pieces.
  bool parse_complex(std::vector<std::string>& ref) {
    std::size_t start = pos;
    skip_blanks();
    std::string id;
    if (!parse_identifier(id)) {
      pos = start;
      return false;
    }
    ref.push_back(std::move(id));
    for (;;) {
      skip_blanks();
      if (peek() == '.') {
        ++pos;
        skip_blanks();
        if (!parse_identifier(id)) {
          pos = start;
          return false;
        }
        ref.push_back(std::move(id));
      } else if (peek() == '[') {
        ++pos;
        skip_blanks();
        std::string s;
        if (!parse_string(s)) {
          pos = start;
          return false;
        }
        ref.push_back(std::move(s));
        skip_blanks();
        if (peek() != ']') {
          pos = start;
          return false;
        }
        ++pos;
      } else {
        return true;
      }
    }
  }

  // identifier ( '.' identifier )*
  bool parse_simple(std::vector<std::string>& ref) {
    std::size_t start = pos;
    for (;;) {
      std::string id;
      if (!parse_identifier(id)) {
        pos = start;
        ref.clear();
        return false;
      }
      ref.push_back(std::move(id));
      if (peek() != '.') return true;
      ++pos;
    }
  }
};

TemplateRef classify(const std::vector<std::string>& ref, std::string& header) {
  if (ref.size() == 2 && ref[0] == "pomerium") {
    if (ref[1] == "access_token") return TemplateRef::kAccessToken;
    if (ref[1] == "id_token") return TemplateRef::kIdToken;
    if (ref[1] == "jwt") return TemplateRef::kJwt;
    if (ref[1] == "email") return TemplateRef::kEmail;
    if (ref[1] == "user") return TemplateRef::kUser;
    if (ref[1] == "name") return TemplateRef::kName;
    if (ref[1] == "client_cert_fingerprint") return TemplateRef::kClientCertFingerprint;
    if (ref[1] == "client_cert_san_dns") return TemplateRef::kClientCertSanDns;
    if (ref[1] == "client_cert_san_email") return TemplateRef::kClientCertSanEmail;
  }
  if (ref.size() == 4 && ref[0] == "pomerium" && ref[1] == "request" && ref[2] == "headers") {
    header = ref[3];
    return TemplateRef::kRequestHeader;
  }
  return TemplateRef::kUnknown;
}

void append_joined(std::string& out, std::span<const std::string> values) {
  bool first = true;
  for (const auto& v : values) {
    if (!first) out.push_back(',');
    first = false;
    out.append(v);
  }
}

}  // namespace

HeaderTemplate HeaderTemplate::parse(std::string_view text) {
  HeaderTemplate tpl;
  Scanner s{text};
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    tpl.parts_.push_back(Part{TemplateRef::kUnknown, true, std::move(literal)});
    literal.clear();
  };
  while (!s.at_end()) {
    if (s.peek() != '$') {
      literal.push_back(text[s.pos++]);
      continue;
    }
    std::size_t start = s.pos;
    ++s.pos;
    if (s.peek() == '$') {
      ++s.pos;
      literal.push_back('$');
      continue;
    }
    std::vector<std::string> ref;
    bool ok = false;
    if (s.peek() == '{') {
      ++s.pos;
      ok = s.parse_complex(ref) && s.peek() == '}';
      if (ok) ++s.pos;
    } else {
      ok = s.parse_simple(ref);
    }
    if (!ok) {
      s.pos = start + 1;
      literal.push_back('$');
      continue;
    }
    flush();
    Part part;
    part.is_text = false;
    part.ref = classify(ref, part.text);
    tpl.parts_.push_back(std::move(part));
    tpl.literal_ = false;
  }
  flush();
  return tpl;
}

bool HeaderTemplate::uses(TemplateRef ref) const {
  for (const auto& part : parts_) {
    if (!part.is_text && part.ref == ref) return true;
  }
  return false;
}

void HeaderTemplate::render(std::string& out, const TemplateContext& context) const {
  out.clear();
  for (const auto& part : parts_) {
    if (part.is_text) {
      out.append(part.text);
      continue;
    }
    const auto* cert = context.client_certificate;
    switch (part.ref) {
      case TemplateRef::kAccessToken:
        out.append(context.access_token);
        break;
      case TemplateRef::kIdToken:
        out.append(context.id_token);
        break;
      case TemplateRef::kJwt:
        out.append(context.jwt);
        break;
      case TemplateRef::kEmail:
        out.append(context.email);
        break;
      case TemplateRef::kUser:
        out.append(context.user_id);
        break;
      case TemplateRef::kName:
        out.append(context.name);
        break;
      case TemplateRef::kClientCertFingerprint:
        if (cert != nullptr && cert->presented) out.append(cert->fingerprint_sha256);
        break;
      case TemplateRef::kClientCertSanDns:
        if (cert != nullptr && cert->presented) append_joined(out, cert->san_dns);
        break;
      case TemplateRef::kClientCertSanEmail:
        if (cert != nullptr && cert->presented) append_joined(out, cert->san_email);
        break;
      case TemplateRef::kRequestHeader:
        for (const auto& header : context.request_headers) {
          if (iequals(header.name, part.text)) {
            out.append(header.value);
            break;
          }
        }
        break;
      case TemplateRef::kUnknown:
        break;
    }
  }
}

std::string HeaderTemplate::render(const TemplateContext& context) const {
  std::string out;
  render(out, context);
  return out;
}

}  // namespace portcullis::authorize
