#include "fern/context/stack.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "fern/base/error.hpp"

#if defined(FERN_ASAN) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace fern::context {
namespace {

std::size_t page_size() noexcept {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }

// A stack's previous user (or a previous mapping at the same address) may have died with poisoned
// frames in AddressSanitizer's shadow; a stack handed out must start clean.
void unpoison(const Stack& s) noexcept {
#if defined(FERN_ASAN) || defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(s.base, s.size);
#else
  (void)s;
#endif
}

}  // namespace

bool Stack::in_guard(const void* addr) const noexcept {
  auto* p = static_cast<const char*>(addr);
  // A large frame can skip past the guard page; count a few pages below the mapping as ours too.
  return p >= mapping - 16 * page_size() && p < base;
}

Stack map_stack(std::size_t size) {
  const std::size_t page = page_size();
  Stack s;
  s.size = round_up(size, page);
  s.mapping_size = s.size + page;
  void* m = ::mmap(nullptr, s.mapping_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) {
    throw std::system_error(make_error_code(Errc::resource_exhausted),
                            "fern: cannot map a greenlet stack (vm.max_map_count reached? use "
                            "StackMode::dense for very many greenlets)");
  }
  s.mapping = static_cast<char*>(m);
  if (::mprotect(s.mapping, page, PROT_NONE) != 0) {
    int err = errno;
    ::munmap(m, s.mapping_size);
    throw std::system_error(err, std::system_category(),
                            "fern: cannot protect a stack guard page (vm.max_map_count reached? use "
                            "StackMode::dense for very many greenlets)");
  }
  s.base = s.mapping + page;
  unpoison(s);
  return s;
}

void unmap_stack(Stack& stack) noexcept {
  if (stack.mapping) ::munmap(stack.mapping, stack.mapping_size);
  stack = Stack{};
}

StackPool::~StackPool() {
  for (Stack& s : free_) unmap_stack(s);
}

Stack StackPool::acquire(std::size_t size) {
  if (size == kDefaultStackSize && !free_.empty()) {
    Stack s = free_.back();
    free_.pop_back();
    unpoison(s);
    return s;
  }
  return map_stack(size);
}

void StackPool::release(Stack stack) noexcept {
  if (stack.size == kDefaultStackSize && free_.size() < max_cached_) {
    free_.push_back(stack);
    return;
  }
  unmap_stack(stack);
}

void StackPool::trim() noexcept {
  for (const Stack& s : free_) ::madvise(s.base, s.size, MADV_DONTNEED);
}

StackPool& StackPool::local() {
  static thread_local StackPool pool;
  return pool;
}

}  // namespace fern::context
