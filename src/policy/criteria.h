#pragma once
// Factories of the built-in criteria, one file each (or one per family). make_criterion()
// dispatches on the name; these are internal to the policy component.

#include "policy/criterion.h"
#include "policy/matchers.h"

namespace portcullis::policy {

CriterionPtr make_accept(const CriterionSpec& spec);
CriterionPtr make_reject(const CriterionSpec& spec);
CriterionPtr make_authenticated_user(const CriterionSpec& spec);
CriterionPtr make_user(const CriterionSpec& spec);
CriterionPtr make_email(const CriterionSpec& spec);
CriterionPtr make_domain(const CriterionSpec& spec);
CriterionPtr make_claim(const CriterionSpec& spec);
CriterionPtr make_groups(const CriterionSpec& spec);
CriterionPtr make_http_method(const CriterionSpec& spec);
CriterionPtr make_http_path(const CriterionSpec& spec);
CriterionPtr make_cors_preflight(const CriterionSpec& spec);
CriterionPtr make_source_ip(const CriterionSpec& spec);
CriterionPtr make_client_certificate(const CriterionSpec& spec);
CriterionPtr make_invalid_client_certificate(const CriterionSpec& spec);
CriterionPtr make_device(const CriterionSpec& spec);
CriterionPtr make_date(const CriterionSpec& spec);
CriterionPtr make_day_of_week(const CriterionSpec& spec);
CriterionPtr make_time_of_day(const CriterionSpec& spec);
CriterionPtr make_record(const CriterionSpec& spec);

// Criteria whose data PPL ignores ("anything, typically true"). `false` is refused: it reads as
// the opposite of what the criterion does.
void check_unused_data(const CriterionSpec& spec);

// The claims a signed-in request carries: the union of the session's and the user's claims.
// Looks `path` up as Pomerium's object_get does: the literal key first, then, when the path
// (with '.' read as '/') has 2 to 5 segments, nested objects. Missing: primary is null.
UnionValue lookup_claim(const EvalInput& input, std::string_view path);

// The user's email when signed in, else "" (Pomerium finds the user through the session).
inline std::string_view signed_in_email(const EvalInput& input) {
  return input.session.present ? input.user.email : std::string_view();
}

}  // namespace portcullis::policy
