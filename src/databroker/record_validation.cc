#include "databroker/record_validation.h"

#include "databroker/record_fields.h"

namespace portcullis::databroker {
namespace {

Status invalid(std::string message) {
  return Status::error(Code::kInvalidArgument, std::move(message));
}

}  // namespace

Status validate_record(const ::databroker::Record& record, size_t max_record_bytes) {
  if (record.type().empty()) return invalid("record has no type");
  if (record.id().empty()) return invalid("record \"" + record.type() + "\" has no id");
  if (!record.has_data()) return {};
  size_t size = record.data().ByteSizeLong();
  if (size > max_record_bytes) {
    return invalid("record " + record.type() + "/" + record.id() + " is " + std::to_string(size) +
                   " bytes, more than the limit of " + std::to_string(max_record_bytes));
  }
  if (!record.has_deleted_at() && data_descriptor(record.data()) != nullptr) {
    auto unpacked = unpack_data(record.data());
    if (!unpacked.ok()) return unpacked.status();
  }
  return {};
}

Status validate_records(const std::vector<::databroker::Record>& records, size_t max_record_bytes) {
  for (size_t i = 0; i < records.size(); ++i) {
    Status status = validate_record(records[i], max_record_bytes);
    if (!status.ok()) {
      status.message = "records[" + std::to_string(i) + "]: " + status.message;
      return status;
    }
  }
  return {};
}

Status validate_options(const ::databroker::Options& options) {
  for (const std::string& field : options.indexable_fields()) {
    if (field.empty()) return invalid("an indexable field name is empty");
    if (field[0] == '$' || field.find('.') != std::string::npos) {
      return invalid("indexable field \"" + field + "\" is not a top-level field name");
    }
  }
  if (options.has_ttl() && (options.ttl().seconds() < 0 || options.ttl().nanos() < 0)) {
    return invalid("ttl is negative");
  }
  return {};
}

Status validate_lease(const std::string& name, const std::string& id) {
  if (name.empty()) return invalid("lease has no name");
  if (id.empty()) return invalid("lease \"" + name + "\" has no id");
  return {};
}

}  // namespace portcullis::databroker
