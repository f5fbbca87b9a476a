// A guard-page fault inside a greenlet's stack is a stack overflow: say so, naming the greenlet,
// then die by the same signal. Runs on an alternate signal stack, since the faulting one is full.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "thread_greenlets.hpp"

namespace fern::detail {
namespace {

struct sigaction g_previous;

void write_err(const char* s) noexcept {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void on_segv(int sig, siginfo_t* info, void* ucontext) {
  Greenlet* g = t_current;
  if (g && !g->is_main() && g->stack().base && !g->stack().dense && g->stack().in_guard(info->si_addr)) {
    write_err("fern: stack overflow in greenlet '");
    write_err(g->name().empty() ? "(unnamed)" : g->name().c_str());
    write_err("': its stack is exhausted; give it a larger GreenletOptions::stack_size\n");
    ::signal(sig, SIG_DFL);  // returning re-runs the faulting access, which now kills the process
    return;
  }
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, ucontext);
  } else if (g_previous.sa_handler == SIG_DFL || g_previous.sa_handler == SIG_IGN) {
    ::signal(sig, SIG_DFL);
  } else {
    g_previous.sa_handler(sig);
  }
}

void ensure_alternate_stack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
  constexpr std::size_t kSize = 64 * 1024;
  void* mem = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;  // overflow then dies without the message, as it would anyway
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = kSize;
  ::sigaltstack(&ss, nullptr);
  // Deliberately never unmapped: the thread may take the signal until its very last instruction.
}

}  // namespace

void install_overflow_guard() {
  ensure_alternate_stack();
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, &g_previous);
  });
}

}  // namespace fern::detail
