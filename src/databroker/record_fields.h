#pragma once
// Reading a record's data without knowing its type at compile time. Record data is a
// google.protobuf.Any; its type URL ("type.googleapis.com/session.Session") names a message that
// is looked up in the generated descriptor pool (every message compiled into the binary,
// including google.protobuf.Struct for pomerium.io/DirectoryUser and friends). Data of a type the
// pool does not know is opaque: it can be stored and returned, but not searched, filtered or
// patched.
//
// Backend-independent: the memory and PostgreSQL stores both use these helpers.

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "databroker/status.h"

namespace portcullis::databroker {

// The message name of a type URL: the part after the last '/'.
std::string_view message_name_of(std::string_view type_url);

// The descriptor of the data's message type, or nullptr when the generated pool lacks it.
const google::protobuf::Descriptor* data_descriptor(const google::protobuf::Any& data);

// A new message of the data's type holding the unpacked data. INVALID_ARGUMENT when the type is
// unknown or the bytes do not parse as that type.
Result<std::unique_ptr<google::protobuf::Message>> unpack_data(const google::protobuf::Any& data);

// Packs `message` into an Any with the type.googleapis.com prefix.
google::protobuf::Any pack_data(const google::protobuf::Message& message);

// Whether `name` names a top-level field of messages of type `descriptor`, by proto name or JSON
// name. Every name is a possible field of google.protobuf.Struct.
bool has_top_level_field(const google::protobuf::Descriptor* descriptor, std::string_view name);

// The values of the top-level field `name` of `data`, each rendered as a string: strings as they
// are, numbers in their shortest round-trip decimal form (integers without a fraction), bools as
// "true"/"false", enums by value name; a repeated field or a Struct list gives one value per
// scalar element. Unset fields, messages and bytes give none. For a google.protobuf.Struct the
// field is a top-level key.
std::vector<std::string> field_values(const google::protobuf::Message& data, std::string_view name);

// The shortest decimal text that reads back as `value` ("3", "0.5", "1e+21").
std::string format_number(double value);

// ASCII lower-casing, the case folding of query searches.
std::string to_lower_ascii(std::string_view text);

// Whether any string value anywhere in `data` (nested messages, repeated fields, map values and
// Struct values, but not map keys) contains `lower_query` when lower-cased. An empty query
// matches everything.
bool contains_lower_substring(const google::protobuf::Message& data, std::string_view lower_query);

// The protobuf JSON form of the Any ({"@type": ..., fields...}), as Pomerium stores it in
// PostgreSQL. INVALID_ARGUMENT when the type is unknown or the data does not parse.
Result<std::string> data_to_json(const google::protobuf::Any& data);

// The inverse of data_to_json.
Result<google::protobuf::Any> data_from_json(std::string_view json);

}  // namespace portcullis::databroker
