#include "fern/hub/spawn.hpp"

#include <algorithm>
#include <cstdio>

#include "fern/hub/timeout.hpp"
#include "fern/hub/wait.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {
namespace detail {

void throw_join_timeout() { throw TimeoutError(nullptr, "fern: greenlet did not finish in time"); }
void throw_killed() { throw GreenletExit(); }

}  // namespace detail

namespace {
// Hands the exception being handled (or `error`) to the hub's error handler, naming `g`.
void report(Hub& hub, const HubGreenlet& g, ErrorReport::Source source, std::exception_ptr error) noexcept {
  ErrorReport r{source, std::move(error), g.id()};
  try {
    r.greenlet_name = g.display_name();
  } catch (...) {
  }
  hub.report_error(r);
}

// The spawning greenlet's number. Spawning from main or the hub is the common case and needs no
// dynamic_cast.
std::uint64_t spawner_id(Hub& hub) noexcept {
  Greenlet* cur = Greenlet::current();
  if (cur->is_main() || cur == &hub.greenlet()) return 0;
  auto* g = dynamic_cast<HubGreenlet*>(cur);
  return g ? g->id() : 0;
}
}  // namespace

std::string HubGreenlet::display_name() const {
  return name().empty() ? "Greenlet-" + std::to_string(id_) : name();
}

HubGreenlet::HubGreenlet(Hub& hub, const SpawnOptions& options, const OwnSlot* own_slot)
    : Greenlet(&hub.greenlet(), options.greenlet, own_slot),
      hub_(hub),
      id_(hub.next_greenlet_id()),
      parent_id_(spawner_id(hub)),
      site_(options.site),
      report_failure_(options.report_failure) {
  // Default names are made only when printed: a spawn should not format a string.
  if (!options.name.empty()) set_name(options.name);
  start_timer_.owner = this;
}

HubGreenlet::~HubGreenlet() {
  unwind();  // never suspended here in practice (a reference is held while it runs); run() is ours
  if (start_timer_.armed()) hub_.timers().cancel(start_timer_);
}

void HubGreenlet::start() {
  if (self_ref_ || finished_) return;
  add_ref();
  self_ref_ = true;
  track();
  queued_ = true;
  hub_.schedule(*this);
}

void HubGreenlet::start_later(Duration delay) {
  if (self_ref_ || finished_) return;
  add_ref();
  self_ref_ = true;
  track();
  hub_.timers().arm(start_timer_, deadline_after(delay), &HubGreenlet::on_start_timer);
}

void HubGreenlet::track() noexcept {
  hub_.track(*this);
  auto& live = hub_.counters().live_greenlets;
  const std::size_t now_live = live.load(std::memory_order_relaxed) + 1;
  live.store(now_live, std::memory_order_relaxed);  // hub thread only
  auto& peak = hub_.counters().live_peak;
  if (now_live > peak) peak = now_live;
}

void HubGreenlet::on_start_timer(Timer& t) noexcept {
  auto* self = static_cast<HubGreenlet*>(t.owner);
  self->queued_ = true;
  self->hub_.schedule(*self);
}

std::any HubGreenlet::run(std::any) {
  queued_ = false;
  std::exception_ptr error;
  try {
    invoke();
  } catch (const GreenletExit&) {
    killed_ = true;
  } catch (...) {
    error = std::current_exception();
  }
  finish(std::move(error));
  return {};
}

void HubGreenlet::finish(std::exception_ptr error) noexcept {
  error_ = std::move(error);
  finished_ = true;
  if (ListNode::linked()) {
    ListNode::unlink();  // no longer a hub resident
    auto& live = hub_.counters().live_greenlets;
    live.store(live.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (stack_peak() != 0)
      hub_.stack_peaks().note(site_.file_name(), site_.line(), stack_peak(), stack().size, name());
  }
  if (error_ && report_failure_) report(hub_, *this, ErrorReport::Source::greenlet, error_);
  joiners_.notify_all();
  try {
    fire_links();
  } catch (...) {
    report(hub_, *this, ErrorReport::Source::link_callback, std::current_exception());
  }
  schedule_user_links();
  // The self-reference is dropped by the hub once this greenlet's stack is no longer in use.
  if (self_ref_) scheduler_slot() = static_cast<HubResident*>(this);
}

void HubGreenlet::after_death() noexcept {
  queued_ = false;
  if (self_ref_) {
    self_ref_ = false;
    release();
  }
}

bool HubGreenlet::join(Duration timeout) {
  if (finished_) return true;
  if (Greenlet::current() == this) {
    throw_error(Errc::invalid_argument, "fern: a greenlet cannot join itself");
  }
  GreenletRef<> keep(this);
  TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  while (!finished_) {
    if (!joiners_.wait(deadline)) return finished_;
  }
  return true;
}

void HubGreenlet::kill(std::exception_ptr error, bool block, Duration timeout) {
  if (finished_) return;
  if (!error) error = std::make_exception_ptr(GreenletExit());
  GreenletRef<> keep(this);
  if (!started()) {
    // Never ran: it dies where it stands. A ready-queue entry may still point here; the hub
    // drops the self-reference when it reaches it.
    if (start_timer_.armed()) hub_.timers().cancel(start_timer_);
    discard();
    bool was_queued = queued_;
    killed_ = true;
    finish(nullptr);
    if (!was_queued) {
      scheduler_slot() = nullptr;
      after_death();
    }
    return;
  }
  if (Greenlet::current() == this) std::rethrow_exception(error);
  if (Waiter* w = Waiter::of(*this)) w->fail(error);
  if (block && !hub_.in_hub()) join(timeout);
}

std::uint64_t HubGreenlet::add_user_link(int when, Callback cb) {
  std::uint64_t id = next_link_id_++;
  user_links_.push_back({id, when, std::move(cb)});
  if (finished_) schedule_user_links();
  return id;
}

std::uint64_t HubGreenlet::link(Callback cb) { return add_user_link(0, std::move(cb)); }
std::uint64_t HubGreenlet::link_value(Callback cb) { return add_user_link(1, std::move(cb)); }
std::uint64_t HubGreenlet::link_exception(Callback cb) { return add_user_link(2, std::move(cb)); }

void HubGreenlet::unlink(std::uint64_t id) noexcept {
  std::erase_if(user_links_, [id](const UserLink& l) { return l.id == id; });
}

void HubGreenlet::schedule_user_links() noexcept {
  if (user_links_.empty()) return;  // the common case: nobody linked
  std::vector<UserLink> links;
  links.swap(user_links_);
  for (UserLink& l : links) {
    bool wanted = l.when == 0 || (l.when == 1 && !error_) || (l.when == 2 && error_);
    if (!wanted) continue;
    try {
      hub_.call_soon([self = GreenletRef<>(this), cb = std::move(l.cb)] {
        try {
          cb(self);
        } catch (...) {
          report(self->hub_, *self, ErrorReport::Source::link_callback, std::current_exception());
        }
      });
    } catch (...) {
      report(hub_, *this, ErrorReport::Source::link_callback, std::current_exception());
    }
  }
}

void HubGreenlet::unwind_at_shutdown() noexcept {
  GreenletRef<> keep(this);
  if (!started()) {
    discard();
    killed_ = true;
    finish(nullptr);
    scheduler_slot() = nullptr;
    after_death();
    return;
  }
  if (!dead()) {
    // Finish into the thread's current greenlet, not into the hub that is going away.
    set_parent(Greenlet::current());
    try {
      throw_in(GreenletExit());
    } catch (...) {
    }
  }
  scheduler_slot() = nullptr;
  after_death();
}

namespace {

// The first `count` of them to finish, in finishing order (fern::wait over their Waitables).
std::vector<GreenletRef<>> first_finished(std::span<const GreenletRef<>> greenlets, Duration timeout,
                                          std::size_t count) {
  std::vector<Waitable*> objects;
  objects.reserve(greenlets.size());
  for (const GreenletRef<>& g : greenlets) objects.push_back(g.get_pointer());
  std::vector<GreenletRef<>> done;
  for (Waitable* w : wait(std::span<Waitable* const>(objects), timeout, count))
    done.emplace_back(static_cast<HubGreenlet*>(w));
  return done;
}

std::vector<GreenletRef<>> all_finished(std::span<const GreenletRef<>> greenlets, Duration timeout) {
  TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  for (const GreenletRef<>& g : greenlets) {
    Duration left =
        deadline == TimePoint::max() ? kForever : std::max(deadline - Clock::now(), Duration::zero());
    if (!g->join(left)) break;
  }
  std::vector<GreenletRef<>> done;
  for (const GreenletRef<>& g : greenlets) {
    if (g->ready()) done.push_back(g);
  }
  return done;
}

}  // namespace

std::vector<GreenletRef<>> joinall(std::span<const GreenletRef<>> greenlets, Duration timeout,
                                   bool raise_error, std::size_t count) {
  std::vector<GreenletRef<>> done =
      count < greenlets.size() ? first_finished(greenlets, timeout, count) : all_finished(greenlets, timeout);
  if (raise_error) {
    for (const GreenletRef<>& g : done) {
      if (auto e = g->exception()) std::rethrow_exception(e);
    }
  }
  return done;
}

void killall(std::span<const GreenletRef<>> greenlets, std::exception_ptr error, bool block,
             Duration timeout) {
  for (const GreenletRef<>& g : greenlets) g->kill(error, false);
  if (block) joinall(greenlets, timeout);
}

HubGreenlet* current_spawned() noexcept { return dynamic_cast<HubGreenlet*>(Greenlet::current()); }

}  // namespace fern
