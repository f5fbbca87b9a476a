#include "fern/aio/task.hpp"

#include <array>
#include <new>

#include "fern/hub/waiter.hpp"

namespace fern::aio::detail {

void TaskChain::interrupt(std::exception_ptr error) noexcept {
  if (parked) {
    parked->fail(std::move(error));
  } else {
    pending = std::move(error);
  }
}

#if defined(FERN_ASAN)

void* allocate_frame(std::size_t size) { return ::operator new(size); }
void free_frame(void* frame, std::size_t) noexcept { ::operator delete(frame); }

#else

namespace {

// Freed frames kept per size class (64-byte steps up to 1 KiB): a spawn-and-finish loop reuses the
// same few blocks instead of going through malloc for each frame.
class FrameCache {
 public:
  static constexpr std::size_t kStep = 64;
  static constexpr std::size_t kClasses = 16;
  static constexpr std::size_t kKeepPerClass = 256;

  ~FrameCache();
  void* take(std::size_t cls) noexcept {
    Block* b = free_[cls];
    if (!b) return nullptr;
    free_[cls] = b->next;
    --count_[cls];
    return b;
  }
  bool keep(void* frame, std::size_t cls) noexcept {
    if (count_[cls] >= kKeepPerClass) return false;
    auto* b = static_cast<Block*>(frame);
    b->next = free_[cls];
    free_[cls] = b;
    ++count_[cls];
    return true;
  }

 private:
  struct Block {
    Block* next;
  };
  std::array<Block*, kClasses> free_{};
  std::array<std::size_t, kClasses> count_{};
};

// Null before the cache exists and after it is destroyed at thread exit (a hub destroyed later
// still frees frames: those go straight to operator delete).
constinit thread_local FrameCache* t_cache = nullptr;
constinit thread_local bool t_cache_gone = false;

FrameCache* cache() noexcept {
  if (t_cache || t_cache_gone) return t_cache;
  static thread_local FrameCache instance;
  t_cache = &instance;
  return t_cache;
}

FrameCache::~FrameCache() {
  t_cache = nullptr;
  t_cache_gone = true;
  for (std::size_t cls = 0; cls < kClasses; ++cls) {
    while (void* b = take(cls)) ::operator delete(b);
  }
}

std::size_t size_class(std::size_t size) noexcept { return (size - 1) / FrameCache::kStep; }

}  // namespace

void* allocate_frame(std::size_t size) {
  const std::size_t cls = size_class(size);
  if (cls < FrameCache::kClasses) {
    if (FrameCache* c = cache()) {
      if (void* frame = c->take(cls)) return frame;
    }
    return ::operator new((cls + 1) * FrameCache::kStep);
  }
  return ::operator new(size);
}

void free_frame(void* frame, std::size_t size) noexcept {
  const std::size_t cls = size_class(size);
  if (cls < FrameCache::kClasses) {
    FrameCache* c = t_cache;
    if (!(c && c->keep(frame, cls))) ::operator delete(frame);
    return;
  }
  ::operator delete(frame);
}

#endif

}  // namespace fern::aio::detail
