#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "fern/context/machine_context.hpp"
#include "sanitizer.hpp"
#include "thread_greenlets.hpp"

namespace fern::detail {

namespace {
constexpr std::size_t kRelayStackSize = 64 * 1024;
}

SharedStack::SharedStack(std::size_t size)
    : stack(context::map_stack(size)), relay_stack_(context::map_stack(kRelayStackSize)) {
  relay_sp_ = context::make_context(relay_stack_.top(), &SharedStack::relay_main, this);
}

SharedStack::~SharedStack() {
  context::unmap_stack(stack);
  context::unmap_stack(relay_stack_);
}

void SharedStack::save(Greenlet* g) {
  auto* sp = static_cast<char*>(g->sp_);
  std::size_t used = static_cast<std::size_t>(stack.top() - sp);
  if (used > g->saved_capacity_) {
    std::size_t cap = (used + 255) & ~std::size_t{255};
    void* p = std::realloc(g->saved_, cap);
    if (!p) throw std::bad_alloc();
    g->saved_ = static_cast<char*>(p);
    g->saved_capacity_ = cap;
  }
  std::memcpy(g->saved_, sp, used);
  g->saved_size_ = used;
}

void SharedStack::restore(Greenlet* g) {
  if (!g->sp_) {  // first run: lay out its initial frame at the top
    g->sp_ = context::make_context(stack.top(), &Greenlet::entry, g);
    return;
  }
  std::memcpy(g->sp_, g->saved_, g->saved_size_);
}

void SharedStack::occupy(Greenlet* target) {
  // Frames of earlier occupants leave poison in AddressSanitizer's shadow; the bytes are copied
  // wholesale, so the shadow is reset for the whole stack.
  sanitizer_unpoison(stack.base, stack.size);
  if (occupant && !occupant->dead()) {
    try {
      save(occupant);
    } catch (...) {
      std::fputs("fern: out of memory while parking a shared-stack greenlet\n", stderr);
      std::abort();
    }
  }
  restore(target);
  occupant = target;
}

void SharedStack::forget(Greenlet* dead) noexcept {
  if (occupant == dead) occupant = nullptr;
  std::free(dead->saved_);
  dead->saved_ = nullptr;
  dead->saved_size_ = dead->saved_capacity_ = 0;
}

void SharedStack::relay_jump(Greenlet* from, Greenlet* target) noexcept {
  relay_from_ = from;
  relay_target_ = target;
  sanitizer_start_switch(from->dead() ? nullptr : &from->asan_fake_stack_, relay_stack_.base,
                         relay_stack_.size);
  void* resumed_by = context::jump(&from->sp_, relay_sp_, from);
  from->after_resume(static_cast<Greenlet*>(resumed_by));
}

void SharedStack::relay_main(void* arg, void*) noexcept {
  auto* self = static_cast<SharedStack*>(arg);
  void* relay_fake_stack = nullptr;
  for (;;) {
    sanitizer_finish_switch(relay_fake_stack, nullptr, nullptr);
    Greenlet* from = self->relay_from_;
    Greenlet* target = self->relay_target_;
    self->occupy(target);
    sanitizer_start_switch(&relay_fake_stack, self->stack.base, self->stack.size);
    // The target sees `from` as the greenlet that switched to it, as after a direct jump.
    context::jump(&self->relay_sp_, target->sp_, from);
  }
}

}  // namespace fern::detail
