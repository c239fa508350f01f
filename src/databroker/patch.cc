#include "databroker/patch.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/field_mask_util.h>

#include "databroker/record_fields.h"

namespace portcullis::databroker {
namespace {

using google::protobuf::util::FieldMaskUtil;

Status invalid(std::string message) {
  return Status::error(Code::kInvalidArgument, std::move(message));
}

void patch_struct(const google::protobuf::Struct& update, const google::protobuf::FieldMask& mask,
                  google::protobuf::Struct& target) {
  for (const std::string& key : mask.paths()) {
    auto it = update.fields().find(key);
    if (it == update.fields().end()) {
      target.mutable_fields()->erase(key);
    } else {
      (*target.mutable_fields())[key] = it->second;
    }
  }
}

}  // namespace

Status validate_patch_mask(const google::protobuf::Any& data,
                           const google::protobuf::FieldMask& mask) {
  const google::protobuf::Descriptor* descriptor = data_descriptor(data);
  if (descriptor == nullptr) {
    return invalid("cannot patch record data of unknown type \"" + data.type_url() + "\"");
  }
  if (mask.paths_size() == 0) return invalid("field mask names no fields");
  const bool is_struct = descriptor == google::protobuf::Struct::descriptor();
  for (const std::string& path : mask.paths()) {
    bool valid = is_struct ? !path.empty() && path.find('.') == std::string::npos
                           : FieldMaskUtil::GetFieldDescriptors(descriptor, path, nullptr);
    if (!valid) {
      return invalid("field mask path \"" + path + "\" names no field of " +
                     descriptor->full_name());
    }
  }
  return {};
}

Result<google::protobuf::Any> apply_patch(const google::protobuf::Any& existing,
                                          const google::protobuf::Any& update,
                                          const google::protobuf::FieldMask& mask) {
  if (message_name_of(existing.type_url()) != message_name_of(update.type_url())) {
    return invalid("patch data type \"" + update.type_url() + "\" differs from the record's \"" +
                   existing.type_url() + "\"");
  }
  Status status = validate_patch_mask(existing, mask);
  if (!status.ok()) return status;
  auto target = unpack_data(existing);
  if (!target.ok()) return target.status();
  auto source = unpack_data(update);
  if (!source.ok()) return source.status();
  if (target.value()->GetDescriptor() == google::protobuf::Struct::descriptor()) {
    patch_struct(static_cast<const google::protobuf::Struct&>(*source.value()), mask,
                 static_cast<google::protobuf::Struct&>(*target.value()));
  } else {
    FieldMaskUtil::MergeOptions options;
    options.set_replace_message_fields(true);
    options.set_replace_repeated_fields(true);
    FieldMaskUtil::MergeMessageTo(*source.value(), mask, options, target.value().get());
  }
  google::protobuf::Any patched = pack_data(*target.value());
  patched.set_type_url(existing.type_url());
  return patched;
}

}  // namespace portcullis::databroker
