#include "databroker/record_fields.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "session.pb.h"
#include "user.pb.h"

namespace portcullis::databroker {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com/";

// Touching the descriptors keeps the record messages' generated code (and so their registration in
// the generated pool) linked into every binary that reads record data.
void link_record_types() {
  static_cast<void>(::session::Session::descriptor());
  static_cast<void>(::user::User::descriptor());
  static_cast<void>(google::protobuf::Struct::descriptor());
}

bool is_struct(const Descriptor* descriptor) {
  return descriptor == google::protobuf::Struct::descriptor();
}

const FieldDescriptor* find_field(const Descriptor* descriptor, std::string_view name) {
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->name() == name || field->json_name() == name) return field;
  }
  return nullptr;
}

void append_value(const google::protobuf::Value& value, bool descend_lists,
                  std::vector<std::string>& out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      out.push_back(value.string_value());
      break;
    case google::protobuf::Value::kNumberValue:
      out.push_back(format_number(value.number_value()));
      break;
    case google::protobuf::Value::kBoolValue:
      out.emplace_back(value.bool_value() ? "true" : "false");
      break;
    case google::protobuf::Value::kListValue:
      if (descend_lists) {
        for (const auto& element : value.list_value().values()) append_value(element, false, out);
      }
      break;
    default:
      break;
  }
}

// One scalar element of `field` (index < 0 for a singular field) as text; false for kinds that
// have no text form here (messages, bytes).
bool scalar_text(const Message& message, const FieldDescriptor* field, int index,
                 std::string& out) {
  const Reflection* r = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (field->type() == FieldDescriptor::TYPE_BYTES) return false;
      out = repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      return true;
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field);
      out = v ? "true" : "false";
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      out = std::to_string(repeated ? r->GetRepeatedInt32(message, field, index)
                                    : r->GetInt32(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      out = std::to_string(repeated ? r->GetRepeatedInt64(message, field, index)
                                    : r->GetInt64(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      out = std::to_string(repeated ? r->GetRepeatedUInt32(message, field, index)
                                    : r->GetUInt32(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      out = std::to_string(repeated ? r->GetRepeatedUInt64(message, field, index)
                                    : r->GetUInt64(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_FLOAT:
      out = format_number(repeated ? r->GetRepeatedFloat(message, field, index)
                                   : r->GetFloat(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      out = format_number(repeated ? r->GetRepeatedDouble(message, field, index)
                                   : r->GetDouble(message, field));
      return true;
    case FieldDescriptor::CPPTYPE_ENUM:
      out = (repeated ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))
                ->name();
      return true;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return false;
  }
  return false;
}

bool contains(std::string_view text, std::string_view lower_query) {
  if (text.size() < lower_query.size()) return false;
  return to_lower_ascii(text).find(lower_query) != std::string::npos;
}

}  // namespace

std::string_view message_name_of(std::string_view type_url) {
  size_t slash = type_url.rfind('/');
  return slash == std::string_view::npos ? type_url : type_url.substr(slash + 1);
}

const Descriptor* data_descriptor(const google::protobuf::Any& data) {
  link_record_types();
  std::string_view name = message_name_of(data.type_url());
  if (name.empty()) return nullptr;
  return google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
      std::string(name));
}

Result<std::unique_ptr<Message>> unpack_data(const google::protobuf::Any& data) {
  const Descriptor* descriptor = data_descriptor(data);
  if (descriptor == nullptr) {
    return Status::error(Code::kInvalidArgument,
                         "unknown record data type \"" + data.type_url() + "\"");
  }
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) {
    return Status::error(Code::kInvalidArgument,
                         "no message for record data type \"" + data.type_url() + "\"");
  }
  std::unique_ptr<Message> message(prototype->New());
  if (!message->ParseFromString(data.value())) {
    return Status::error(Code::kInvalidArgument,
                         "record data does not parse as \"" + data.type_url() + "\"");
  }
  return message;
}

google::protobuf::Any pack_data(const Message& message) {
  google::protobuf::Any any;
  any.set_type_url(std::string(kTypeUrlPrefix) + message.GetDescriptor()->full_name());
  message.SerializeToString(any.mutable_value());
  return any;
}

bool has_top_level_field(const Descriptor* descriptor, std::string_view name) {
  if (descriptor == nullptr || name.empty()) return false;
  return is_struct(descriptor) || find_field(descriptor, name) != nullptr;
}

std::vector<std::string> field_values(const Message& data, std::string_view name) {
  std::vector<std::string> out;
  const Descriptor* descriptor = data.GetDescriptor();
  if (is_struct(descriptor)) {
    const auto& fields = static_cast<const google::protobuf::Struct&>(data).fields();
    auto it = fields.find(std::string(name));
    if (it != fields.end()) append_value(it->second, true, out);
    return out;
  }
  const FieldDescriptor* field = find_field(descriptor, name);
  if (field == nullptr || field->is_map()) return out;
  const Reflection* r = data.GetReflection();
  std::string text;
  if (field->is_repeated()) {
    int n = r->FieldSize(data, field);
    for (int i = 0; i < n; ++i) {
      if (scalar_text(data, field, i, text)) out.push_back(std::move(text));
    }
  } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (r->HasField(data, field) &&
        field->message_type() == google::protobuf::Value::descriptor()) {
      append_value(static_cast<const google::protobuf::Value&>(r->GetMessage(data, field)), true,
                   out);
    }
  } else if (scalar_text(data, field, -1, text)) {
    out.push_back(std::move(text));
  }
  return out;
}

std::string format_number(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return "0";
  return std::string(buffer, end);
}

std::string to_lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
  return out;
}

bool contains_lower_substring(const Message& data, std::string_view lower_query) {
  if (lower_query.empty()) return true;
  const Reflection* r = data.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(data, &fields);
  for (const FieldDescriptor* field : fields) {
    const bool is_string = field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
                           field->type() != FieldDescriptor::TYPE_BYTES;
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!is_string && !is_message) continue;
    if (!field->is_repeated()) {
      if (is_string ? contains(r->GetString(data, field), lower_query)
                    : contains_lower_substring(r->GetMessage(data, field), lower_query)) {
        return true;
      }
      continue;
    }
    int n = r->FieldSize(data, field);
    for (int i = 0; i < n; ++i) {
      if (is_string) {
        if (contains(r->GetRepeatedString(data, field, i), lower_query)) return true;
        continue;
      }
      const Message& element = r->GetRepeatedMessage(data, field, i);
      if (field->is_map()) {
        // Only the value of a map entry is data; its key is a name.
        const FieldDescriptor* value_field = element.GetDescriptor()->map_value();
        const Reflection* er = element.GetReflection();
        if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
            value_field->type() != FieldDescriptor::TYPE_BYTES) {
          if (contains(er->GetString(element, value_field), lower_query)) return true;
        } else if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                   contains_lower_substring(er->GetMessage(element, value_field), lower_query)) {
          return true;
        }
      } else if (contains_lower_substring(element, lower_query)) {
        return true;
      }
    }
  }
  return false;
}

Result<std::string> data_to_json(const google::protobuf::Any& data) {
  if (data_descriptor(data) == nullptr) {
    return Status::error(Code::kInvalidArgument,
                         "unknown record data type \"" + data.type_url() + "\"");
  }
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(data, &out);
  if (!status.ok()) {
    return Status::error(Code::kInvalidArgument,
                         "record data has no JSON form: " + std::string(status.message()));
  }
  return out;
}

Result<google::protobuf::Any> data_from_json(std::string_view json) {
  link_record_types();
  google::protobuf::Any any;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &any);
  if (!status.ok()) {
    return Status::error(Code::kInvalidArgument,
                         "record data JSON does not parse: " + std::string(status.message()));
  }
  return any;
}

}  // namespace portcullis::databroker
