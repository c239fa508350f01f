// source_ip: the client address lies in one of the listed addresses or CIDR ranges.

#include <vector>

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class SourceIp final : public Criterion {
 public:
  explicit SourceIp(std::vector<IpNetwork> networks) : networks_(std::move(networks)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    bool body = false;
    if (input.request.ip) {
      for (const auto& network : networks_) {
        if (network.contains(*input.request.ip)) {
          body = true;
          break;
        }
      }
    }
    return plain_result(body, Reason::kSourceIpOk, Reason::kSourceIpUnauthorized);
  }

 private:
  std::vector<IpNetwork> networks_;
};

IpNetwork parse_network(const nlohmann::json& value) {
  if (!value.is_string()) {
    throw PolicyError("source_ip: expected string value, got " + json_type_name(value));
  }
  auto network = IpNetwork::parse(value.get<std::string>());
  if (!network) {
    throw PolicyError("source_ip: expected IP or CIDR range, got: " + json_text(value));
  }
  return *network;
}

}  // namespace

CriterionPtr make_source_ip(const CriterionSpec& spec) {
  std::vector<IpNetwork> networks;
  if (spec.data.is_string()) {
    networks.push_back(parse_network(spec.data));
  } else if (spec.data.is_array()) {
    for (const auto& item : spec.data) networks.push_back(parse_network(item));
    if (networks.empty()) throw PolicyError("source_ip: the list of ranges is empty");
  } else {
    throw PolicyError("source_ip: expected string or array of strings, got " +
                      json_type_name(spec.data));
  }
  return std::make_unique<SourceIp>(std::move(networks));
}

}  // namespace portcullis::policy
