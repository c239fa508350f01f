#pragma once
// HeaderList: the headers authorize adds to an upstream request. Reused request after request on
// one connection: clear() keeps the strings' storage, so a warm request copies bytes into buffers
// it already has instead of allocating.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::authorize {

struct HeaderEntry {
  std::string name;
  std::string value;
};

class HeaderList {
 public:
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Appends a header and returns its value for the caller to fill.
  std::string& add(std::string_view name) {
    if (size_ == items_.size()) items_.emplace_back();
    HeaderEntry& entry = items_[size_++];
    entry.name.assign(name);
    entry.value.clear();
    return entry.value;
  }
  void add(std::string_view name, std::string_view value) { add(name).assign(value); }

  std::span<const HeaderEntry> items() const { return {items_.data(), size_}; }

 private:
  std::vector<HeaderEntry> items_;
  std::size_t size_ = 0;
};

}  // namespace portcullis::authorize
