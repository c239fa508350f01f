// authenticated_user: signed in with a user id; user: the session's user id.

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class AuthenticatedUser final : public Criterion {
 public:
  CriterionResult evaluate(const EvalInput& input) const override {
    bool body = input.session.present && !input.session.user_id.empty();
    return session_result(body, input, Reason::kUserOk, Reason::kUserUnauthorized);
  }
  bool principal_only() const override { return true; }
};

class User final : public Criterion {
 public:
  explicit User(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    // Without a session there is no user id to compare, so the body fails whatever the matcher.
    bool body = input.session.present && matcher_.matches(input.session.user_id);
    return session_result(body, input, Reason::kUserOk, Reason::kUserUnauthorized);
  }
  bool principal_only() const override { return true; }

 private:
  StringMatcher matcher_;
};

}  // namespace

CriterionPtr make_authenticated_user(const CriterionSpec& spec) {
  check_unused_data(spec);
  return std::make_unique<AuthenticatedUser>();
}

CriterionPtr make_user(const CriterionSpec& spec) {
  return std::make_unique<User>(StringMatcher::parse(spec.data));
}

}  // namespace portcullis::policy
