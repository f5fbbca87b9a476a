#include "fern/context/machine_context.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fern/context/stack.hpp"

namespace fern::context {
namespace {

struct PingPong {
  void* main_sp = nullptr;
  void* co_sp = nullptr;
  std::vector<long> seen;
};

void co_entry(void* arg, void* first) {
  auto* pp = static_cast<PingPong*>(arg);
  long v = reinterpret_cast<long>(first);
  for (;;) {
    pp->seen.push_back(v);
    // Floating point across the switch keeps working (MXCSR saved, SSE regs caller-saved).
    double d = std::sqrt(static_cast<double>(v * v));
    v = reinterpret_cast<long>(
        switch_context(&pp->co_sp, pp->main_sp, reinterpret_cast<void*>(static_cast<long>(d) + 1)));
  }
}

TEST(MachineContext, JumpPassesValuesBothWays) {
  Stack s = map_stack(64 * 1024);
  PingPong pp;
  pp.co_sp = make_context(s.top(), &co_entry, &pp);
  long v = 10;
  for (int i = 0; i < 5; ++i) {
    v = reinterpret_cast<long>(switch_context(&pp.main_sp, pp.co_sp, reinterpret_cast<void*>(v)));
  }
  EXPECT_EQ(pp.seen, (std::vector<long>{10, 11, 12, 13, 14}));
  EXPECT_EQ(v, 15);
  unmap_stack(s);
}

TEST(MachineContext, FreshContextStartsAligned) {
  Stack s = map_stack(64 * 1024);
  struct State {
    void* main_sp;
    void* co_sp;
    unsigned long addr;
  } st{};
  st.co_sp = make_context(
      s.top(),
      [](void* arg, void*) {
        auto* st = static_cast<State*>(arg);
        alignas(16) volatile char probe[16];
        st->addr = reinterpret_cast<unsigned long>(&probe[0]);
        switch_context(&st->co_sp, st->main_sp, nullptr);
      },
      &st);
  switch_context(&st.main_sp, st.co_sp, nullptr);
  EXPECT_EQ(st.addr % 16, 0u);
  unmap_stack(s);
}

}  // namespace
}  // namespace fern::context
