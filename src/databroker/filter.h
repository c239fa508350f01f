#pragma once
// Query filters: a google.protobuf.Struct expression, parsed once into a tree and evaluated per
// record. Backend-independent (the PostgreSQL store may translate the tree to SQL or evaluate it
// on loaded records).
//
// Grammar (a subset of Pomerium's filter language):
//   filter   := { key: value, ... }          several keys are an implicit $and; {} matches all
//   "$and"   : [filter, ...]                 every sub-filter matches ([] matches all)
//   "$or"    : [filter, ...]                 some sub-filter matches ([] matches none)
//   "$not"   : filter                        the sub-filter does not match
//   "id"     : scalar | {"$eq": scalar}      the record id equals the value
//   "$index" : scalar | {"$eq": scalar}      some indexable field equals the value, or holds a
//                                            CIDR containing the value (an IP address)
//   <field>  : scalar | {"$eq": scalar}      the top-level data field <field> (which must be one of
//                                            the type's indexable_fields) equals the value; a
//                                            repeated field or list matches when any element does
// A scalar is a string, number or bool, compared as text (see field_values in record_fields.h).
// Anything else (an unknown "$" operator, a wrong value type, nested field paths, a field that is
// not indexable) is INVALID_ARGUMENT.

#include <google/protobuf/struct.pb.h>

#include <optional>
#include <string>
#include <vector>

#include "databroker.pb.h"
#include "databroker/status.h"

namespace portcullis::databroker {

struct FilterExpression {
  enum class Kind { kAnd, kOr, kNot, kEquals };
  Kind kind = Kind::kAnd;
  // kAnd and kOr: the operands; kNot: exactly one.
  std::vector<FilterExpression> children;
  // kEquals: "id", "$index" or a top-level data field name, and the value as text.
  std::string field;
  std::string value;
};

inline constexpr char kFilterIdField[] = "id";
inline constexpr char kFilterIndexField[] = "$index";

// Parses and validates `filter` for records of a type with `options` (its indexable_fields).
Result<FilterExpression> parse_filter(const google::protobuf::Struct& filter,
                                      const ::databroker::Options& options);

// Whether evaluating the expression may read record data (field or $index comparisons), so that
// records of an unknown data type cannot be evaluated.
bool filter_reads_data(const FilterExpression& expression, const ::databroker::Options& options);

// The ids a record must have to match, when the expression bounds them (an id comparison, an $or of
// bounded operands, an $and with a bounded operand; $index with no indexable fields bounds to
// none); nullopt when any id could match. Sorted, without duplicates. A store can look these ids
// up instead of scanning the type, then still evaluate the whole expression on what it finds.
std::optional<std::vector<std::string>> filter_id_candidates(const FilterExpression& expression,
                                                             const ::databroker::Options& options);

// Evaluates the expression against a live record of the type `options` belongs to.
// INVALID_ARGUMENT when data must be read and its type is unknown or it does not parse.
Result<bool> evaluate_filter(const FilterExpression& expression, const ::databroker::Record& record,
                             const ::databroker::Options& options);

// Whether `value` is an IP address inside the CIDR block `cidr` ("10.0.0.0/8", "2001:db8::/32").
bool cidr_contains(const std::string& cidr, const std::string& value);

}  // namespace portcullis::databroker
