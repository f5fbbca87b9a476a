// HeaderList: owned header fields in one string (see include/fern/http/client_response.hpp).
#include "fern/http/client_response.hpp"

namespace fern::http {

void HeaderList::add(std::string_view name, std::string_view value) {
  Entry e{};
  e.name_offset = static_cast<std::uint32_t>(bytes_.size());
  e.name_length = static_cast<std::uint32_t>(name.size());
  bytes_.append(name);
  e.value_offset = static_cast<std::uint32_t>(bytes_.size());
  e.value_length = static_cast<std::uint32_t>(value.size());
  bytes_.append(value);
  entries_.push_back(e);
}

std::size_t HeaderList::remove(std::string_view name) {
  HeaderList kept;
  for (HeaderField f : *this)
    if (!iequals(f.name, name)) kept.add(f.name, f.value);
  std::size_t removed = size() - kept.size();
  if (removed != 0) *this = std::move(kept);
  return removed;
}

HeaderField HeaderList::operator[](std::size_t i) const noexcept {
  const Entry& e = entries_[i];
  std::string_view all(bytes_);
  return {all.substr(e.name_offset, e.name_length), all.substr(e.value_offset, e.value_length)};
}

std::optional<std::string_view> HeaderList::get(std::string_view name) const noexcept {
  for (HeaderField f : *this)
    if (iequals(f.name, name)) return f.value;
  return std::nullopt;
}

std::size_t HeaderList::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (HeaderField f : *this) n += iequals(f.name, name) ? 1 : 0;
  return n;
}

bool HeaderList::has_token(std::string_view name, std::string_view token) const noexcept {
  for (HeaderField f : *this) {
    if (!iequals(f.name, name)) continue;
    bool found = false;
    for_each_list_element(f.value, [&](std::string_view element) {
      found = iequals(element, token);
      return !found;
    });
    if (found) return true;
  }
  return false;
}

void HeaderList::append_to(std::vector<HeaderField>& out) const {
  for (HeaderField f : *this) out.push_back(f);
}

}  // namespace fern::http
