// ClientResponse: what fern::http::Client returns for a request: the status line, the header fields
// (an owned HeaderList, looked up without regard to case) and the whole body as a string, plus the
// URL it finally came from after redirects. Plain values; nothing here blocks.
//
// HeaderList keeps all names and values in one string with offsets beside it (two allocations per
// response, however many fields), so it can be moved and copied freely; the views it hands out are
// valid while it lives unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fern/http/headers.hpp"
#include "fern/http/message.hpp"

namespace fern::http {

class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(std::initializer_list<HeaderField> fields) {
    for (const HeaderField& f : fields) add(f.name, f.value);
  }
  explicit HeaderList(Headers fields) {
    for (const HeaderField& f : fields) add(f.name, f.value);
  }

  void add(std::string_view name, std::string_view value);
  // Removes every field called `name`; returns how many there were.
  std::size_t remove(std::string_view name);
  // Replaces every field called `name` by one with `value`.
  void set(std::string_view name, std::string_view value) {
    remove(name);
    add(name, value);
  }
  void clear() noexcept {
    bytes_.clear();
    entries_.clear();
  }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  HeaderField operator[](std::size_t i) const noexcept;

  // The value of the first field called `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  std::size_t count(std::string_view name) const noexcept;
  // Whether `token` is an element of the comma-separated list in any field called `name`.
  bool has_token(std::string_view name, std::string_view token) const noexcept;

  // Appends views of every field to `out` (for the serializer).
  void append_to(std::vector<HeaderField>& out) const;

  class Iterator {
   public:
    using value_type = HeaderField;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const HeaderList* list, std::size_t i) noexcept : list_(list), i_(i) {}
    HeaderField operator*() const noexcept { return (*list_)[i_]; }
    Iterator& operator++() noexcept { return ++i_, *this; }
    Iterator operator++(int) noexcept { return Iterator(list_, i_++); }
    friend bool operator==(const Iterator&, const Iterator&) = default;

   private:
    const HeaderList* list_ = nullptr;
    std::size_t i_ = 0;
  };
  Iterator begin() const noexcept { return {this, 0}; }
  Iterator end() const noexcept { return {this, entries_.size()}; }

 private:
  struct Entry {
    std::uint32_t name_offset;
    std::uint32_t name_length;
    std::uint32_t value_offset;
    std::uint32_t value_length;
  };
  std::string bytes_;
  std::vector<Entry> entries_;
};

struct ClientResponse {
  int status = 0;
  std::string reason;
  Version version;
  HeaderList headers;
  std::string body;
  std::string url;    // where the response came from (after redirects)
  int redirects = 0;  // how many redirects were followed to get here

  // 2xx.
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

}  // namespace fern::http
