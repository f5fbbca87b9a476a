#include "fern/http/headers.hpp"

namespace fern::http {
namespace {

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) return f.value;
  }
  return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const HeaderField& f : fields_) n += iequals(f.name, name) ? 1 : 0;
  return n;
}

bool Headers::has_token(std::string_view name, std::string_view token) const noexcept {
  for (const HeaderField& f : fields_) {
    if (!iequals(f.name, name)) continue;
    bool found = false;
    for_each_list_element(f.value,
                          [&](std::string_view element) { return !(found = iequals(element, token)); });
    if (found) return true;
  }
  return false;
}

}  // namespace fern::http
