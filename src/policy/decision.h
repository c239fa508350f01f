#pragma once
// The result of evaluating a policy: the `allow` and `deny` verdicts with their reasons, as
// Pomerium's evaluator returns them. What status that means is the authorize service's call.

#include "policy/reason.h"

namespace portcullis::policy {

struct Verdict {
  bool value = false;
  ReasonSet reasons;
  bool operator==(const Verdict&) const = default;
};

struct Decision {
  Verdict allow;
  Verdict deny;
  // Access needs a matching allow and no matching deny.
  bool allowed() const { return allow.value && !deny.value; }
  bool operator==(const Decision&) const = default;
};

}  // namespace portcullis::policy
