#include "policy/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace portcullis::policy {

namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Parses the address as written: `mapped_as_v4` decides whether ::ffff:a.b.c.d becomes IPv4
// right away (a request's address) or only after its prefix is known (a network).
std::optional<IpAddress> parse_address(std::string_view text, bool mapped_as_v4) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string copy(text);
  IpAddress ip;
  if (copy.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    ip.v4 = true;
    return ip;
  }
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  if (mapped_as_v4 && std::memcmp(ip.bytes.data(), kV4MappedPrefix.data(), 12) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
    ip.v4 = true;
  }
  return ip;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  return parse_address(text, true);
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  std::string_view address_text = text;
  std::optional<int> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    address_text = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    int value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    prefix = value;
  }
  auto address = parse_address(address_text, false);
  if (!address) return std::nullopt;
  int max = address->v4 ? 32 : 128;
  if (prefix && (*prefix < 0 || *prefix > max)) return std::nullopt;
  IpNetwork network{*address, prefix.value_or(max)};
  // Go compares an IPv4-mapped network (::ffff:a.b.c.d/96 and longer) as the IPv4 network it
  // maps; shorter prefixes mask the ffff away and stay IPv6.
  if (!network.address.v4 && network.prefix >= 96 &&
      std::memcmp(network.address.bytes.data(), kV4MappedPrefix.data(), 12) == 0) {
    std::memmove(network.address.bytes.data(), network.address.bytes.data() + 12, 4);
    std::memset(network.address.bytes.data() + 4, 0, 12);
    network.address.v4 = true;
    network.prefix -= 96;
  }
  return network;
}

bool IpNetwork::contains(const IpAddress& ip) const {
  if (ip.v4 != address.v4) return false;
  int full = prefix / 8;
  if (std::memcmp(ip.bytes.data(), address.bytes.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (ip.bytes[static_cast<std::size_t>(full)] & mask) ==
         (address.bytes[static_cast<std::size_t>(full)] & mask);
}

}  // namespace portcullis::policy
