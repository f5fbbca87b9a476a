// monkey: gevent's monkey.patch_all() for C++. fern's hook interposes the blocking libc calls
// (socket I/O, connect/accept, poll/select/epoll_wait, sleeps, getaddrinfo, fcntl/ioctl, close,
// dup) so unmodified blocking code, C libraries included, parks only its greenlet while the hub
// runs the others. A hooked call cooperates only when the process is patched, the calling thread
// has a hub, and the caller is a greenlet other than the hub; everywhere else it is libc's call.
//
// Two forms (docs/design/hook.md):
//   * static: link fern::monkey and call patch_all(); the interposers are linked into the program.
//   * LD_PRELOAD=libfern_hook.so with FERN_PATCH=1 in the environment, for programs that do not
//     link fern (FERN_GREEN_THREADS=1 also turns pthread_create into spawning greenlets).
//
// A hooked call blocks its greenlet, never the thread, and honours SO_RCVTIMEO/SO_SNDTIMEO. A fern
// Timeout scope or a kill that reaches a greenlet parked in a hooked call cannot unwind C frames:
// the call fails (errno ETIMEDOUT for a Timeout, ECANCELED for a kill), every later hooked call of
// that greenlet fails the same way at once, and rethrow_interruption() raises the original
// exception when control is back in C++ (call() does both).
#pragma once

#include <type_traits>
#include <utility>

namespace fern::monkey {

struct PatchOptions {
  // pthread_create/join/detach start and join greenlets on the calling thread's hub instead of
  // threads (gevent patches threading the same way). Only the LD_PRELOAD form interposes them.
  bool threads = false;
};

// Turns the hooks on for the whole process (there is no unpatch, as in gevent). Defined next to
// the interposers, so calling it is what links them into a statically linked program.
void patch_all(PatchOptions options = {});
bool patched() noexcept;

// Throws the exception (TimeoutError, GreenletExit, ...) that interrupted a hooked call in the
// current greenlet, and clears it; does nothing when there is none.
void rethrow_interruption();
// True when a hooked call of the current greenlet was interrupted and rethrow_interruption() has
// not been called yet.
bool interrupted() noexcept;

// Runs `fn` (typically a call into a blocking C library) and then rethrows an interruption that
// happened inside it, so Timeout scopes and kills work across C code.
template <class F>
auto call(F&& fn) -> std::invoke_result_t<F> {
  if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
    std::forward<F>(fn)();
    rethrow_interruption();
  } else {
    auto result = std::forward<F>(fn)();
    rethrow_interruption();
    return result;
  }
}

// Where read/write on regular files go from a greenlet. A page-cache hit costs about a
// microsecond in place and tens of microseconds through a pool thread, but a cold read can hold
// the hub for milliseconds; the default is the thread pool (FERN_HOOK_FILES=direct changes it).
enum class FileIo { thread_pool, direct };
void set_file_io(FileIo mode) noexcept;
FileIo file_io() noexcept;

}  // namespace fern::monkey
