// accept: always true; reject: always false.

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class Constant final : public Criterion {
 public:
  explicit Constant(bool value) : value_(value) {}
  CriterionResult evaluate(const EvalInput&) const override {
    return value_ ? CriterionResult{true, {Reason::kAccept}}
                  : CriterionResult{false, {Reason::kReject}};
  }
  bool principal_only() const override { return true; }

 private:
  bool value_;
};

}  // namespace

CriterionPtr make_accept(const CriterionSpec& spec) {
  check_unused_data(spec);
  return std::make_unique<Constant>(true);
}

CriterionPtr make_reject(const CriterionSpec&) {
  return std::make_unique<Constant>(false);
}

}  // namespace portcullis::policy
