// set_request_headers templates: the grammar of Pomerium's header templates and the references
// it fills in.

#include "authorize/header_template.h"

#include <gtest/gtest.h>

#include <vector>

namespace portcullis::authorize {
namespace {

TEST(HeaderTemplate, Grammar) {
  std::vector<policy::HeaderView> headers = {{"X-Access-Token", "from-client"}};
  TemplateContext context;
  context.access_token = "AT";
  context.id_token = "IDT";
  context.jwt = "JWT";
  context.email = "alice@example.com";
  context.user_id = "user-1";
  context.name = "Alice";
  context.request_headers = headers;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"plain", "plain"},
      {"x $$ y $$ z", "x $ y $ z"},
      {"${pomerium.access_token}", "AT"},
      {"$pomerium.access_token", "AT"},
      {"Bearer ${pomerium.id_token}", "Bearer IDT"},
      {"$pomerium.id_token", "IDT"},
      {"${pomerium.jwt}", "JWT"},
      {"before $pomerium.jwt after", "before JWT after"},
      {"before ${   pomerium  .  jwt  } after", "before JWT after"},
      {"${\tpomerium.jwt\t}", "JWT"},
      {"${pomerium.request.headers[\"X-Access-Token\"]}", "from-client"},
      {"${pomerium.request.headers[\"x-access-token\"]}", "from-client"},
      {"$pomerium.request.headers.X-Access-Token", "from-client"},
      {"${pomerium.request.headers[\"Missing\"]}", ""},
      {"${pomerium.email}", "alice@example.com"},
      {"$pomerium.user <${pomerium.email}>", "user-1 <alice@example.com>"},
      {"${pomerium.name}", "Alice"},
      {"${pomerium.unknown}", ""},
      {"$other", ""},
      {"${x[\"", "${x[\""},
      {"${", "${"},
      {"${}", "${}"},
      {"$", "$"},
      {"cost: $5", "cost: "},
      {"a$.b", "a$.b"},
      {"${pomerium.jwt", "${pomerium.jwt"},
      {"$pomerium.jwt.", "$pomerium.jwt."},
      {"${pomerium.client_cert_fingerprint}", ""},
  };
  for (const auto& [text, expected] : rows) {
    EXPECT_EQ(HeaderTemplate::parse(text).render(context), expected) << text;
  }
}

TEST(HeaderTemplate, Literal) {
  EXPECT_TRUE(HeaderTemplate::parse("value").is_literal());
  EXPECT_TRUE(HeaderTemplate::parse("cost $$5").is_literal());
  EXPECT_FALSE(HeaderTemplate::parse("${pomerium.jwt}").is_literal());
  EXPECT_TRUE(HeaderTemplate::parse("${pomerium.jwt}").uses(TemplateRef::kJwt));
  EXPECT_FALSE(HeaderTemplate::parse("${pomerium.id_token}").uses(TemplateRef::kJwt));
}

TEST(HeaderTemplate, ClientCertificate) {
  std::vector<std::string> dns = {"a.example.com", "b.example.com"};
  std::vector<std::string> email = {"a@example.com"};
  policy::ClientCertificateView cert;
  cert.presented = true;
  cert.fingerprint_sha256 = "abcd";
  cert.san_dns = dns;
  cert.san_email = email;
  TemplateContext context;
  context.client_certificate = &cert;
  EXPECT_EQ(HeaderTemplate::parse("$pomerium.client_cert_fingerprint").render(context), "abcd");
  EXPECT_EQ(HeaderTemplate::parse("${pomerium.client_cert_san_dns}").render(context),
            "a.example.com,b.example.com");
  EXPECT_EQ(HeaderTemplate::parse("${pomerium.client_cert_san_email}").render(context),
            "a@example.com");
  cert.presented = false;
  EXPECT_EQ(HeaderTemplate::parse("$pomerium.client_cert_fingerprint").render(context), "");
}

}  // namespace
}  // namespace portcullis::authorize
