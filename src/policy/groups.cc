// groups: the directory user's group ids, plus the values of the `groups` claim (Portcullis has
// no directory sync of its own, so the identity provider's groups claim counts too).

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class Groups final : public Criterion {
 public:
  explicit Groups(StringListMatcher matcher) : matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    ListValues values;
    if (input.session.present) {
      values.strings = input.directory_user.group_ids;
      values.claim = lookup_claim(input, "groups");
    }
    return session_result(matcher_.matches(values), input, Reason::kGroupsOk,
                          Reason::kGroupsUnauthorized);
  }
  bool principal_only() const override { return true; }

 private:
  StringListMatcher matcher_;
};

}  // namespace

CriterionPtr make_groups(const CriterionSpec& spec) {
  return std::make_unique<Groups>(StringListMatcher::parse(spec.data, true));
}

}  // namespace portcullis::policy
