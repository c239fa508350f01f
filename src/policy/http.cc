// http_method, http_path and cors_preflight: properties of the request alone.

#include "policy/criteria.h"

namespace portcullis::policy {

namespace {

class HttpMethod final : public Criterion {
 public:
  explicit HttpMethod(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    return plain_result(matcher_.matches(input.request.method), Reason::kHttpMethodOk,
                        Reason::kHttpMethodUnauthorized);
  }

 private:
  StringMatcher matcher_;
};

class HttpPath final : public Criterion {
 public:
  explicit HttpPath(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  CriterionResult evaluate(const EvalInput& input) const override {
    return plain_result(matcher_.matches(input.request.path), Reason::kHttpPathOk,
                        Reason::kHttpPathUnauthorized);
  }

 private:
  StringMatcher matcher_;
};

class CorsPreflight final : public Criterion {
 public:
  CriterionResult evaluate(const EvalInput& input) const override {
    // Presence is what counts: an empty header value still has one value in Pomerium's input.
    const auto& request = input.request;
    bool body = request.method == "OPTIONS" &&
                request.header("Access-Control-Request-Method").has_value() &&
                request.header("Origin").has_value();
    return plain_result(body, Reason::kCorsRequest, Reason::kNonCorsRequest);
  }
};

}  // namespace

CriterionPtr make_http_method(const CriterionSpec& spec) {
  return std::make_unique<HttpMethod>(StringMatcher::parse(spec.data));
}

CriterionPtr make_http_path(const CriterionSpec& spec) {
  return std::make_unique<HttpPath>(StringMatcher::parse(spec.data));
}

CriterionPtr make_cors_preflight(const CriterionSpec& spec) {
  check_unused_data(spec);
  return std::make_unique<CorsPreflight>();
}

}  // namespace portcullis::policy
