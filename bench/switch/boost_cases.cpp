// The Boost peers of bench/switch, each in its idiomatic form: raw fcontext, boost::context::fiber,
// and Boost.Fiber (a scheduler on top of Boost.Context) with its pooled stack allocator.
#include <boost/context/detail/fcontext.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>
#include <boost/fiber/all.hpp>
#include <memory>
#include <utility>

#include "cases.hpp"

namespace fern::bench {

namespace ctx = boost::context;
namespace fcontext = boost::context::detail;

namespace {

// Same stack size as fern's default, so neither side gains from a smaller footprint.
constexpr std::size_t kStackSize = 256 * 1024;

void fcontext_peer(fcontext::transfer_t from) {
  for (;;) from = fcontext::jump_fcontext(from.fctx, nullptr);
}

}  // namespace

double boost_fcontext_pingpong(long switches) {
  const long round_trips = switches / 2;
  ctx::fixedsize_stack allocator(kStackSize);
  ctx::stack_context stack = allocator.allocate();
  fcontext::fcontext_t peer = fcontext::make_fcontext(stack.sp, stack.size, &fcontext_peer);
  peer = fcontext::jump_fcontext(peer, nullptr).fctx;  // first entry, outside the timed loop
  const auto start = Clock::now();
  for (long i = 0; i < round_trips; ++i) peer = fcontext::jump_fcontext(peer, nullptr).fctx;
  const double result = ns_per_op(start, Clock::now(), 2 * round_trips);
  allocator.deallocate(stack);  // the peer's frame owns nothing
  return result;
}

double boost_context_fiber_pingpong(long switches) {
  const long round_trips = switches / 2;
  ctx::fiber peer{std::allocator_arg, ctx::fixedsize_stack(kStackSize), [](ctx::fiber&& back) {
                    for (;;) back = std::move(back).resume();
                    return std::move(back);
                  }};
  peer = std::move(peer).resume();  // first entry, outside the timed loop
  const auto start = Clock::now();
  for (long i = 0; i < round_trips; ++i) peer = std::move(peer).resume();
  return ns_per_op(start, Clock::now(), 2 * round_trips);
  // ~fiber unwinds the parked peer.
}

double boost_fiber_yield_pingpong(long switches) {
  const long per_fiber = switches / 2;
  auto yielder = [per_fiber] {
    for (long i = 0; i < per_fiber; ++i) boost::this_fiber::yield();
  };
  boost::fibers::fiber a(yielder);
  boost::fibers::fiber b(yielder);
  // Both are queued (launch::post); while main waits in join, the scheduler alternates a and b.
  const auto start = Clock::now();
  a.join();
  b.join();
  return ns_per_op(start, Clock::now(), 2 * per_fiber);
}

double boost_fiber_spawn_join(long ops, bool dispatch) {
  boost::fibers::pooled_fixedsize_stack pool(kStackSize);
  const auto policy = dispatch ? boost::fibers::launch::dispatch : boost::fibers::launch::post;
  {
    boost::fibers::fiber warm(policy, std::allocator_arg, pool, [] {});
    warm.join();
  }
  const auto start = Clock::now();
  for (long i = 0; i < ops; ++i) {
    boost::fibers::fiber f(policy, std::allocator_arg, pool, [] {});
    f.join();
  }
  return ns_per_op(start, Clock::now(), ops);
}

double boost_context_fiber_spawn_finish(long ops) {
  ctx::pooled_fixedsize_stack pool(kStackSize);
  auto body = [](ctx::fiber&& back) { return std::move(back); };
  ctx::fiber(std::allocator_arg, pool, body).resume();  // warm the pool
  const auto start = Clock::now();
  for (long i = 0; i < ops; ++i) {
    ctx::fiber(std::allocator_arg, pool, body).resume();
  }
  return ns_per_op(start, Clock::now(), ops);
}

}  // namespace fern::bench
