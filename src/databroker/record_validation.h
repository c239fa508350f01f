#pragma once
// Checks on what clients send, shared by every backend so that they refuse the same input with
// the same code (INVALID_ARGUMENT) before touching storage.

#include <cstddef>
#include <string>
#include <vector>

#include "databroker.pb.h"
#include "databroker/status.h"

namespace portcullis::databroker {

// A record to put: it needs a type and an id; its serialised data may be at most
// `max_record_bytes`; live (not deleted) data of a type the generated pool knows must parse as
// that type. Data of an unknown type is accepted as opaque bytes. Versions and timestamps in the
// input are ignored (the store assigns them).
Status validate_record(const ::databroker::Record& record, size_t max_record_bytes);

// validate_record for each; the message names the index of the first invalid record.
Status validate_records(const std::vector<::databroker::Record>& records, size_t max_record_bytes);

// Per-type options: indexable field names are non-empty, not operators ("$...") and not dotted
// paths; ttl is not negative.
Status validate_options(const ::databroker::Options& options);

// A lease needs a name and an id.
Status validate_lease(const std::string& name, const std::string& id);

}  // namespace portcullis::databroker
