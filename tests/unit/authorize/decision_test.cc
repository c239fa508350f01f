// Decision → HTTP status (Pomerium's handleResult order) and the Accept preference.

#include "authorize/decision.h"

#include <gtest/gtest.h>

namespace portcullis::authorize {
namespace {

using policy::Decision;
using policy::Reason;

struct Row {
  const char* name;
  Decision decision;
  bool html;
  int status;
};

const Row kRows[] = {
    {"allowed", {{true, {Reason::kEmailOk}}, {}}, false, 200},
    {"nothing allows", {{false, {Reason::kEmailUnauthorized}}, {}}, false, 403},
    {"empty policy", {}, true, 403},
    {"deny wins", {{true, {Reason::kAccept}}, {true, {Reason::kEmailOk}}}, false, 403},
    {"sign in, browser", {{false, {Reason::kUserUnauthenticated}}, {}}, true, 302},
    {"sign in, api", {{false, {Reason::kUserUnauthenticated}}, {}}, false, 401},
    {"sign in from a deny reason",
     {{true, {Reason::kAccept}}, {false, {Reason::kUserUnauthenticated}}},
     true,
     302},
    {"sign in before deny",
     {{false, {}}, {true, {Reason::kUserUnauthenticated, Reason::kReject}}},
     false,
     401},
    {"certificate required",
     {{false, {Reason::kUserUnauthenticated}}, {true, {Reason::kClientCertificateRequired}}},
     true,
     495},
    {"invalid certificate",
     {{true, {Reason::kAccept}}, {true, {Reason::kInvalidClientCertificate}}},
     false,
     495},
    {"valid certificate",
     {{true, {Reason::kAccept}}, {false, {Reason::kValidClientCertificate}}},
     false,
     200},
    {"device unauthenticated", {{false, {Reason::kDeviceUnauthenticated}}, {}}, true, 403},
    {"device unauthorized deny", {{true, {}}, {true, {Reason::kDeviceUnauthorized}}}, false, 450},
    {"route not found", {{false, {}}, {true, {Reason::kRouteNotFound}}}, false, 404},
};

class DecisionStatus : public ::testing::TestWithParam<Row> {};

TEST_P(DecisionStatus, Maps) {
  EXPECT_EQ(decision_status(GetParam().decision, GetParam().html), GetParam().status)
      << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(Authorize, DecisionStatus, ::testing::ValuesIn(kRows));

TEST(PrefersHtml, Table) {
  struct Case {
    const char* accept;
    bool html;
  } cases[] = {
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},  // Firefox
      {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
       "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
       true},          // Chrome
      {"*/*", false},  // curl
      {"", false},
      {"application/json", false},
      {"application/json, text/html", false},
      {"text/html", true},
      {"TEXT/HTML", true},
      {"text/*", true},
      {"text/html;q=0.5, application/json", false},
      {"text/html;q=0.9, */*;q=0.9", false},
      {"text/html;q=0", false},
      {"text/html;q=abc, */*", false},
      {"application/json;q=0.1, text/html;level=1;q=0.8", true},
  };
  for (const auto& c : cases) EXPECT_EQ(prefers_html(c.accept), c.html) << c.accept;
}

}  // namespace
}  // namespace portcullis::authorize
