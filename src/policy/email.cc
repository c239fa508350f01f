// email: the user's email; domain: the part of it after the first '@' (up to a second one).

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class Email final : public Criterion {
 public:
  explicit Email(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    // Pomerium compares "" when nobody is signed in, so a `not` matcher can pass anonymously.
    bool body = matcher_.matches(signed_in_email(input));
    return session_result(body, input, Reason::kEmailOk, Reason::kEmailUnauthorized);
  }
  bool principal_only() const override { return true; }

 private:
  StringMatcher matcher_;
};

class Domain final : public Criterion {
 public:
  explicit Domain(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    // split(email, "@")[1]: "a@b@c" has domain "b"; an email without '@' has none.
    std::string_view email = signed_in_email(input);
    bool body = false;
    if (auto at = email.find('@'); at != std::string_view::npos) {
      std::string_view rest = email.substr(at + 1);
      body = matcher_.matches(rest.substr(0, rest.find('@')));
    }
    return session_result(body, input, Reason::kDomainOk, Reason::kDomainUnauthorized);
  }
  bool principal_only() const override { return true; }

 private:
  StringMatcher matcher_;
};

}  // namespace

CriterionPtr make_email(const CriterionSpec& spec) {
  return std::make_unique<Email>(StringMatcher::parse(spec.data));
}

CriterionPtr make_domain(const CriterionSpec& spec) {
  return std::make_unique<Domain>(StringMatcher::parse(spec.data));
}

}  // namespace portcullis::policy
