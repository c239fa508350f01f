#include "http/listener.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace portcullis::http {
namespace {

struct ListenCase {
  std::string address;
  std::optional<std::string> ip;  // nullopt: rejected
  unsigned short port = 0;
};

TEST(ParseListenAddress, Table) {
  const std::vector<ListenCase> cases = {
      {":8080", "::", 8080},
      {":443", "::", 443},
      {":0", "::", 0},
      {":65535", "::", 65535},
      {"127.0.0.1:0", "127.0.0.1", 0},
      {"0.0.0.0:80", "0.0.0.0", 80},
      {"[::1]:443", "::1", 443},
      {"[::]:8443", "::", 8443},
      {"[2001:db8::1]:9000", "2001:db8::1", 9000},
      {"localhost:80", "127.0.0.1", 80},
      {"host.example:80", std::nullopt},
      {"example:80", std::nullopt},
      {"999.1.1.1:80", std::nullopt},
      {":99999", std::nullopt},
      {":65536", std::nullopt},
      {":-1", std::nullopt},
      {":+80", std::nullopt},
      {":80x", std::nullopt},
      {":http", std::nullopt},
      {":", std::nullopt},
      {"127.0.0.1:", std::nullopt},
      {"8080", std::nullopt},
      {"127.0.0.1", std::nullopt},
      {"[::1]", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("\"" + c.address + "\"");
    std::string error;
    auto endpoint = parse_listen_address(c.address, &error);
    if (!c.ip) {
      EXPECT_FALSE(endpoint.has_value()) << endpoint->address().to_string();
      EXPECT_FALSE(error.empty());
      continue;
    }
    ASSERT_TRUE(endpoint.has_value()) << error;
    EXPECT_EQ(endpoint->address().to_string(), *c.ip);
    EXPECT_EQ(endpoint->port(), c.port);
    EXPECT_TRUE(error.empty()) << error;
  }
}

TEST(ParseListenAddress, AllInterfacesIsIpv6Any) {
  auto endpoint = parse_listen_address(":8080", nullptr);
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_TRUE(endpoint->address().is_v6());
  EXPECT_TRUE(endpoint->address().is_unspecified());
}

TEST(ParseListenAddress, ErrorPointerIsOptional) {
  EXPECT_FALSE(parse_listen_address("nope", nullptr).has_value());
  EXPECT_FALSE(parse_listen_address(":99999", nullptr).has_value());
}

TEST(ParseListenAddress, ErrorsNameTheProblem) {
  std::string error;
  (void)parse_listen_address(":99999", &error);
  EXPECT_NE(error.find("99999"), std::string::npos) << error;
  (void)parse_listen_address("host.example:80", &error);
  EXPECT_NE(error.find("host.example"), std::string::npos) << error;
}

}  // namespace
}  // namespace portcullis::http
