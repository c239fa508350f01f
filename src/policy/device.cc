// device: Portcullis keeps no device credentials, so no device is ever registered. The result is
// Pomerium's for a session without a device credential: device-unauthenticated when signed in,
// else user-unauthenticated. (Pomerium's Rego lets an empty matcher or `approved: false` pass
// without any device; that would be an allow without evidence, so it is not reproduced.)

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class Device final : public Criterion {
 public:
  CriterionResult evaluate(const EvalInput& input) const override {
    if (input.session.present) return {false, {Reason::kDeviceUnauthenticated}};
    return {false, {Reason::kUserUnauthenticated}};
  }
};

}  // namespace

CriterionPtr make_device(const CriterionSpec& spec) {
  if (!spec.data.is_object()) {
    throw PolicyError("device: expected object for device criterion, got " +
                      json_type_name(spec.data));
  }
  for (const auto& [key, value] : spec.data.items()) {
    if (key == "is" || key == "type") {
      if (!value.is_string()) {
        throw PolicyError("device: expected string for device criterion " + key +
                          " operator, got " + json_type_name(value));
      }
    } else if (key == "approved") {
      if (!value.is_boolean()) {
        throw PolicyError("device: expected boolean for device criterion approved operator, got " +
                          json_type_name(value));
      }
    } else {
      throw PolicyError("device: unexpected field in device criterion: \"" + key +
                        "\" (expected is, approved or type)");
    }
  }
  return std::make_unique<Device>();
}

}  // namespace portcullis::policy
