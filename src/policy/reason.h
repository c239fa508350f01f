#pragma once
// Why a criterion, a block or a whole rule came out the way it did. The strings are Pomerium's
// (pkg/policy/criteria/reasons.go) so that logs and the `policy eval` output read the same; the
// enum keeps evaluation free of string handling.

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace portcullis::policy {

// Declared in the alphabetical order of the strings, so iterating a ReasonSet lists them sorted
// (Pomerium prints its reason sets sorted).
enum class Reason : std::uint8_t {
  kAccept,
  kClaimOk,
  kClaimUnauthorized,
  kClientCertificateOk,
  kClientCertificateRequired,
  kClientCertificateUnauthorized,
  kCorsRequest,
  kDateOk,
  kDateUnauthorized,
  kDayOfWeekOk,
  kDayOfWeekUnauthorized,
  kDeviceOk,
  kDeviceUnauthenticated,
  kDeviceUnauthorized,
  kDomainOk,
  kDomainUnauthorized,
  kEmailOk,
  kEmailUnauthorized,
  kGroupsOk,
  kGroupsUnauthorized,
  kHttpMethodOk,
  kHttpMethodUnauthorized,
  kHttpPathOk,
  kHttpPathUnauthorized,
  kInvalidClientCertificate,
  kNonCorsRequest,
  kPomeriumRoute,
  kRecordOk,
  kRecordUnauthorized,
  kReject,
  kRouteNotFound,
  kSourceIpOk,
  kSourceIpUnauthorized,
  kTimeOfDayOk,
  kTimeOfDayUnauthorized,
  kUserOk,
  kUserUnauthenticated,
  kUserUnauthorized,
  kValidClientCertificate,
};

inline constexpr int kReasonCount = static_cast<int>(Reason::kValidClientCertificate) + 1;
static_assert(kReasonCount <= 64, "ReasonSet stores reasons as bits of one word");

std::string_view to_string(Reason reason);

// A set of reasons as one bit per reason: merging sets while combining results is an OR.
class ReasonSet {
 public:
  class Iterator {
   public:
    Iterator(std::uint64_t bits) : bits_(bits) {}
    Reason operator*() const { return static_cast<Reason>(__builtin_ctzll(bits_)); }
    Iterator& operator++() {
      bits_ &= bits_ - 1;
      return *this;
    }
    bool operator==(const Iterator& other) const { return bits_ == other.bits_; }

   private:
    std::uint64_t bits_;
  };

  constexpr ReasonSet() = default;
  constexpr ReasonSet(std::initializer_list<Reason> reasons) {
    for (Reason r : reasons) add(r);
  }
  constexpr void add(Reason r) { bits_ |= bit(r); }
  constexpr void merge(ReasonSet other) { bits_ |= other.bits_; }
  constexpr bool has(Reason r) const { return (bits_ & bit(r)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  int size() const { return __builtin_popcountll(bits_); }
  Iterator begin() const { return Iterator(bits_); }
  Iterator end() const { return Iterator(0); }
  constexpr bool operator==(const ReasonSet&) const = default;

 private:
  static constexpr std::uint64_t bit(Reason r) {
    return std::uint64_t{1} << static_cast<unsigned>(r);
  }
  std::uint64_t bits_ = 0;
};

// Parses one of Pomerium's reason strings (tests and tools); false when unknown.
bool parse_reason(std::string_view text, Reason& out);

}  // namespace portcullis::policy
