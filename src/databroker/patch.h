#pragma once
// Patch: replace the fields a FieldMask names in a record's data with those of an update.
// Backend-independent: the store reads the existing record, calls apply_patch and stores the
// result as a new version.
//
// Paths use proto field names; dotted paths descend into singular message fields
// ("oauth_token.access_token"). A masked field that the update leaves unset is cleared, and a
// masked repeated or map field is replaced, not appended to. For google.protobuf.Struct data a
// path is a top-level key: the update's value is copied, or the key removed when the update has
// none.

#include <google/protobuf/any.pb.h>
#include <google/protobuf/field_mask.pb.h>

#include "databroker/status.h"

namespace portcullis::databroker {

// INVALID_ARGUMENT when the data's type is unknown, the mask is empty or a path names no field of
// the type.
Status validate_patch_mask(const google::protobuf::Any& data,
                           const google::protobuf::FieldMask& mask);

// `existing` with the masked fields taken from `update`. Both must be of the same known type
// (INVALID_ARGUMENT otherwise, or when the mask is invalid or either does not parse).
Result<google::protobuf::Any> apply_patch(const google::protobuf::Any& existing,
                                          const google::protobuf::Any& update,
                                          const google::protobuf::FieldMask& mask);

}  // namespace portcullis::databroker
