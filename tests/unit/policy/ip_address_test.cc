#include "policy/ip_address.h"

#include <gtest/gtest.h>

namespace portcullis::policy {
namespace {

TEST(IpAddress, Parses) {
  EXPECT_TRUE(IpAddress::parse("1.2.3.4")->v4);
  EXPECT_FALSE(IpAddress::parse("2001:db8::1")->v4);
  EXPECT_TRUE(IpAddress::parse("::ffff:1.2.3.4")->v4);
  EXPECT_EQ(*IpAddress::parse("::ffff:1.2.3.4"), *IpAddress::parse("1.2.3.4"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("1.2.3"));
  EXPECT_FALSE(IpAddress::parse("[::1]"));
  EXPECT_FALSE(IpAddress::parse("1.2.3.4/8"));
}

TEST(IpNetwork, Contains) {
  struct Row {
    const char* network;
    const char* ip;
    bool contains;
  } rows[] = {
      {"10.0.0.0/8", "10.255.0.1", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"10.1.2.3", "10.1.2.3", true},
      {"10.1.2.3", "10.1.2.4", false},
      {"10.1.2.3/31", "10.1.2.2", true},
      {"fe80::/10", "fe80::1", true},
      {"fe80::/10", "fec0::1", false},
      {"::/0", "::1", true},
      {"::/0", "1.2.3.4", false},
      {"0.0.0.0/0", "::1", false},
      {"::ffff:0:0/96", "1.2.3.4", true},
      {"2001:db8::/127", "2001:db8::1", true},
      {"2001:db8::/128", "2001:db8::1", false},
  };
  for (const auto& row : rows) {
    auto network = IpNetwork::parse(row.network);
    ASSERT_TRUE(network) << row.network;
    EXPECT_EQ(network->contains(*IpAddress::parse(row.ip)), row.contains)
        << row.network << " " << row.ip;
  }
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0/"));
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0/-1"));
  EXPECT_FALSE(IpNetwork::parse("::/129"));
}

}  // namespace
}  // namespace portcullis::policy
