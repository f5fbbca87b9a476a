// fit_to_used: what the epoll and poll drivers do with a table after a spike
// (Driver::release_unused_memory). A table indexed by descriptor number grows to the highest number
// waited on; the entries past the last one in use go, and the storage is made to fit the rest.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace fern::detail {

template <class Entry, class InUse>
void fit_to_used(std::vector<Entry>& table, InUse in_use) noexcept {
  std::size_t used = table.size();
  while (used > 0 && !in_use(table[used - 1])) --used;
  if (used == table.capacity()) return;
  try {
    std::vector<Entry>(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(used)).swap(table);
  } catch (const std::bad_alloc&) {
    // Kept as it is: only larger than it needs to be.
  }
}

}  // namespace fern::detail
