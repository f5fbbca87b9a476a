// GreenletLocal<T>: a variable with one instance per greenlet, as thread_local is per thread.
// Each greenlet's instance is default-constructed on first use and destroyed when that greenlet
// finishes (or is destroyed).
#pragma once

#include <atomic>
#include <cstdint>

#include "fern/greenlet/greenlet.hpp"

namespace fern {

template <class T>
class GreenletLocal {
 public:
  GreenletLocal() : key_(reinterpret_cast<const void*>(next_key())) {}
  GreenletLocal(const GreenletLocal&) = delete;
  GreenletLocal& operator=(const GreenletLocal&) = delete;

  // The current greenlet's instance.
  T& get() { return get(*Greenlet::current()); }
  T& get(Greenlet& g) {
    if (void* p = g.local_slot(key_)) return *static_cast<T*>(p);
    T* value = new T();
    try {
      g.add_local({key_, value, [](void* v) { delete static_cast<T*>(v); }});
    } catch (...) {
      delete value;
      throw;
    }
    return *value;
  }
  T& operator*() { return get(); }
  T* operator->() { return &get(); }

 private:
  // Keys are never reused, so a slot left by a destroyed GreenletLocal cannot be mistaken for a new one.
  static std::uintptr_t next_key() {
    static std::atomic<std::uintptr_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
  }
  const void* key_;
};

}  // namespace fern
