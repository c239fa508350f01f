#pragma once
// IP addresses and CIDR networks for the `source_ip` criterion, compared as Go's net.IPNet does
// (OPA's net.cidr_contains_matches): an IPv4-mapped IPv6 address counts as IPv4, so it matches
// IPv4 networks and never IPv6 ones.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace portcullis::policy {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
  bool v4 = false;

  // Dotted IPv4 or IPv6 text (no brackets, no zone); an IPv4-mapped IPv6 address becomes IPv4.
  static std::optional<IpAddress> parse(std::string_view text);
  bool operator==(const IpAddress&) const = default;
};

struct IpNetwork {
  IpAddress address;  // host bits may be set, as in "192.168.1.1/24"
  int prefix = 0;

  // "a.b.c.d", "a.b.c.d/n", "v6", "v6/n"; a bare address is a /32 or /128.
  static std::optional<IpNetwork> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
};

}  // namespace portcullis::policy
