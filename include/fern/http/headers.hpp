// Headers: a read-only sequence of HTTP header fields (name, value), looked up by name without regard
// to ASCII case. The same type carries the fields a parser found (views into the parser's head
// buffer) and the fields a caller hands to a serializer (views into the caller's strings); it owns
// nothing and never blocks.
//
// Lifetime: a Headers built from an initializer list (`{{"Host", "a"}, {"Accept", "*/*"}}`) points at
// the list's temporary array, so it is valid only until the end of the full expression: pass it to a
// function, never keep it. Headers from a parser stay valid until that parser reports the next
// message's headers (see MessageParser).
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <ranges>
#include <span>
#include <string_view>

namespace fern::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;  // without the optional whitespace around it
};

// ASCII case-insensitive equality: header names, tokens and codings compare this way.
bool iequals(std::string_view a, std::string_view b) noexcept;

class Headers {
 public:
  constexpr Headers() noexcept = default;
  constexpr Headers(std::span<const HeaderField> fields) noexcept : fields_(fields) {}
  // Any contiguous container of fields (std::vector, std::array, a C array), viewed, not copied.
  template <std::ranges::contiguous_range Fields>
  requires std::same_as<std::ranges::range_value_t<Fields>, HeaderField>
  constexpr Headers(const Fields& fields) noexcept
      : fields_(std::ranges::data(fields), std::ranges::size(fields)) {}
  constexpr Headers(std::initializer_list<HeaderField> fields) noexcept
      : fields_(fields.begin(), fields.size()) {}

  const HeaderField* begin() const noexcept { return fields_.data(); }
  const HeaderField* end() const noexcept { return fields_.data() + fields_.size(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  const HeaderField& operator[](std::size_t i) const noexcept { return fields_[i]; }

  // The value of the first field called `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  // How many fields are called `name` (a field may legitimately repeat, e.g. Set-Cookie).
  std::size_t count(std::string_view name) const noexcept;
  // Whether `token` is an element of the comma-separated list in any field called `name`
  // (`Connection: keep-alive, Upgrade` has the token "upgrade"), compared without case.
  bool has_token(std::string_view name, std::string_view token) const noexcept;

 private:
  std::span<const HeaderField> fields_;
};

// Calls `visit(element)` for each non-empty element of a comma-separated list value, with the
// whitespace around it removed (RFC 9110 5.6.1: empty elements are ignored). Stops early when
// `visit` returns false; returns false then.
template <typename Visit>
bool for_each_list_element(std::string_view value, Visit&& visit) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) element.remove_suffix(1);
    if (!element.empty() && !visit(element)) return false;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace fern::http
