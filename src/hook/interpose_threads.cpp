// pthread_create/join/detach interposers: only in libfern_hook.so, where FERN_GREEN_THREADS=1 turns
// a plain C program's threads into greenlets. A program linking fern spawns greenlets itself.
#include <pthread.h>

#include "hooked_calls.hpp"

extern "C" {

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) noexcept {
  return fern::hook::hooked_pthread_create(thread, attr, start, arg);
}
int pthread_join(pthread_t thread, void** result) { return fern::hook::hooked_pthread_join(thread, result); }
int pthread_detach(pthread_t thread) noexcept { return fern::hook::hooked_pthread_detach(thread); }

}  // extern "C"
