#include "config/load_context.h"

#include "config/pem.h"
#include "config/text.h"

namespace portcullis::config::detail {

void assign(const Mapping& map, std::string_view key, LoadContext& ctx, std::string& out) {
  if (const Value* value = map.find(key)) {
    if (auto text = read_string(*value, ctx.sink)) out = *text;
  }
}

void assign(const Mapping& map, std::string_view key, LoadContext& ctx, bool& out) {
  if (const Value* value = map.find(key)) {
    if (auto flag = read_bool(*value, ctx.sink)) out = *flag;
  }
}

void assign(const Mapping& map, std::string_view key, LoadContext& ctx, std::optional<bool>& out) {
  if (const Value* value = map.find(key)) {
    if (auto flag = read_bool(*value, ctx.sink)) out = *flag;
  }
}

void assign(const Mapping& map, std::string_view key, LoadContext& ctx, Duration& out) {
  if (const Value* value = map.find(key)) {
    if (auto duration = read_duration(*value, ctx.sink)) out = *duration;
  }
}

void assign(const Mapping& map, std::string_view key, LoadContext& ctx,
            std::vector<std::string>& out) {
  if (const Value* value = map.find(key)) {
    if (auto list = read_string_list(*value, ctx.sink)) out = std::move(*list);
  }
}

void assign(const Mapping& map, std::string_view key, LoadContext& ctx, std::uint32_t& out,
            std::uint32_t min, std::uint32_t max) {
  if (const Value* value = map.find(key)) {
    if (auto number = read_int(*value, ctx.sink, min, max)) {
      out = static_cast<std::uint32_t>(*number);
    }
  }
}

std::optional<std::string> read_named_file(const Value& path_value, LoadContext& ctx) {
  auto name = read_string(path_value, ctx.sink);
  if (!name) return std::nullopt;
  std::string path_text = trim(*name);
  if (path_text.empty()) {
    path_value.error(ctx.sink, "empty file name");
    return std::nullopt;
  }
  auto path = resolve_path(ctx.base_dir, path_text);
  std::string error;
  auto contents = read_file(path, error);
  if (!contents) {
    path_value.error(ctx.sink, "cannot read file " + path.string() + ": " + error);
  }
  return contents;
}

std::optional<TextSource> read_inline_or_file(const Mapping& map, std::string_view key,
                                              std::string_view file_key, LoadContext& ctx) {
  const Value* inline_value = map.find(key);
  const Value* file_value = map.find(file_key);
  if (inline_value != nullptr && inline_value->is_null()) inline_value = nullptr;
  if (file_value != nullptr && file_value->is_null()) file_value = nullptr;
  if (inline_value != nullptr && file_value != nullptr) {
    if (inline_value->from_env && !file_value->from_env) {
      file_value = nullptr;
    } else if (file_value->from_env && !inline_value->from_env) {
      inline_value = nullptr;
    } else {
      inline_value->warning(ctx.sink, "both " + std::string(key) + " and " + std::string(file_key) +
                                          " are set; using " + std::string(file_key));
      inline_value = nullptr;
    }
  }
  if (file_value != nullptr) {
    auto contents = read_named_file(*file_value, ctx);
    if (!contents) return std::nullopt;
    return TextSource{std::move(*contents), file_value, true};
  }
  if (inline_value != nullptr) {
    auto text = read_string(*inline_value, ctx.sink);
    if (!text) return std::nullopt;
    return TextSource{std::move(*text), inline_value, false};
  }
  return std::nullopt;
}

void upsert_header(std::vector<Header>& headers, std::string name, std::string value) {
  for (auto& header : headers) {
    if (iequals(header.name, name)) {
      header.name = std::move(name);
      header.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

std::optional<std::string> read_pem(const Value& value, LoadContext& ctx) {
  auto text = read_string(value, ctx.sink);
  if (!text) return std::nullopt;
  auto pem = pem_from_value(*text);
  if (!pem) value.error(ctx.sink, "must be PEM or base64-encoded PEM");
  return pem;
}

}  // namespace portcullis::config::detail
