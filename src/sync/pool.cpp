#include "fern/sync/pool.hpp"

#include <new>
#include <stdexcept>
#include <system_error>
#include <unordered_set>

#include "fern/base/error.hpp"
#include "fern/hub/timeout.hpp"

namespace fern {

// --- Group ----------------------------------------------------------------------------------------

Group::~Group() {
  for (auto& [g, m] : members_) m->link.unlink();
}

void Group::link_member(const GreenletRef<>& g) {
  auto m = std::make_unique<Member>();
  m->greenlet = g;
  m->group = this;
  m->link.owner = m.get();
  m->link.fire = &Group::on_member_finished;
  Member& added = *m;
  members_.emplace(g.get_pointer(), std::move(m));
  g->add_link(added.link);  // fires at once, and forgets it, if it already finished
}

void Group::track_started(const GreenletRef<>& g) {
  try {
    link_member(g);
  } catch (...) {
    g->kill(nullptr, false);  // not started yet: it never runs
    throw;
  }
}

void Group::on_member_finished(Link& link) noexcept {
  auto* m = static_cast<Member*>(link.owner);
  m->group->forget(m->greenlet.get_pointer());
}

// An unordered_map never shrinks as it empties: a server's group of connections would keep the
// bucket array of its busiest moment (8 bytes a member: 80 KB after 10,000 connections) for good.
// So once the members are fewer than a sixteenth of the buckets, the array is made to fit them:
// given up when the group is empty (a new, empty map allocates nothing), unless it is of the small
// size any group reaches; rehashed when members are left, if it is larger than kKeptBuckets.
// Cheap: a compare per member that leaves, and a rehash of n members only once the table, having
// grown to more than 16n buckets, has seen more than 7n members leave since it was at its fullest.
void Group::forget(HubGreenlet* g) noexcept {
  if (members_.erase(g) == 0) return;
  release_slot();
  if (members_.size() < members_.bucket_count() / 16) shrink_table();
  if (members_.empty()) emptied_.notify_all();
}

void Group::shrink_table() noexcept {
  constexpr std::size_t kSmallTable = 64;     // buckets (512 bytes) kept by an empty group
  constexpr std::size_t kKeptBuckets = 1024;  // buckets (8 KB) never rehashed to fewer
  if (members_.empty()) {
    if (members_.bucket_count() > kSmallTable) decltype(members_)().swap(members_);
    return;
  }
  if (members_.bucket_count() <= kKeptBuckets) return;
  try {
    members_.rehash(0);  // as few buckets as the members need
  } catch (const std::bad_alloc&) {
    // Kept as it is: only larger than it needs to be.
  }
}

bool Group::add(const GreenletRef<>& g, Duration timeout) {
  if (!g || contains(g)) return true;
  if (!reserve_slot(timeout)) return false;
  if (g->ready()) {
    release_slot();
    return true;
  }
  try {
    link_member(g);
  } catch (...) {
    release_slot();
    throw;
  }
  return true;
}

void Group::discard(const GreenletRef<>& g) noexcept {
  auto it = members_.find(g.get_pointer());
  if (it == members_.end()) return;
  it->second->link.unlink();
  forget(g.get_pointer());
}

std::vector<GreenletRef<>> Group::greenlets() const {
  std::vector<GreenletRef<>> out;
  out.reserve(members_.size());
  for (const auto& [g, m] : members_) out.push_back(m->greenlet);
  return out;
}

bool Group::join(Duration timeout, bool raise_error) {
  std::vector<GreenletRef<>> joined;
  if (raise_error) joined = greenlets();
  if (!members_.empty() && timeout > Duration::zero()) {
    const TimePoint deadline = deadline_after(timeout);
    while (!members_.empty()) {
      if (!emptied_.wait(deadline)) break;
    }
  }
  for (const GreenletRef<>& g : joined) {
    if (g->ready() && g->exception()) std::rethrow_exception(g->exception());
  }
  return members_.empty();
}

void Group::kill(std::exception_ptr error, bool block, Duration timeout) {
  const TimePoint deadline = deadline_after(timeout);
  Greenlet* self = Greenlet::current();
  std::vector<GreenletRef<>> dying;  // keeps them alive while we wait
  std::unordered_set<HubGreenlet*> killed;
  for (;;) {
    bool any = false;
    for (const GreenletRef<>& g : greenlets()) {
      if (g.get_pointer() == self || !killed.insert(g.get_pointer()).second) continue;
      dying.push_back(g);
      g->kill(error, false);
      any = true;
    }
    if (!block || !any) return;
    const Duration left = deadline == TimePoint::max() ? kForever : deadline - Clock::now();
    if (joinall(dying, std::max(left, Duration::zero())).size() < dying.size()) return;
  }
}

void Group::killone(const GreenletRef<>& g, std::exception_ptr error, bool block, Duration timeout) {
  if (contains(g)) g->kill(std::move(error), block, timeout);
}

// --- Pool -----------------------------------------------------------------------------------------

Pool::Pool(std::size_t capacity) : capacity_(capacity), slots_(capacity) {
  if (capacity == 0) throw std::invalid_argument("fern: a Pool needs a capacity of at least 1");
}

void Pool::release_slot() noexcept { slots_.release(); }

// --- IMap -----------------------------------------------------------------------------------------

namespace detail {

void IMapCore::finish_feeding(std::exception_ptr error) noexcept {
  feeding_done_ = true;
  feeder_error_ = std::move(error);
  feeder = {};  // the feeder holds this state: break the cycle
  notify_change();
}

void IMapCore::stop_feeder() noexcept {
  if (feeder) feeder->kill(nullptr, false);
  feeder = {};
}

bool IMapCore::exhausted() {
  if (!feeding_done_ || handed_out < spawned) return false;
  if (feeder_error_) std::rethrow_exception(std::exchange(feeder_error_, nullptr));
  return true;
}

void IMapCore::wait_change(TimePoint deadline) {
  if ((deadline != TimePoint::max() && deadline <= Clock::now()) || !changed_.wait(deadline)) {
    throw TimeoutError(nullptr, "fern: no map result arrived in time");
  }
}

void IMapCore::rethrow_failure(HubGreenlet& worker) {
  if (std::exception_ptr e = worker.exception()) std::rethrow_exception(e);
  if (worker.killed())
    throw_error(Errc::cancelled, "fern: the greenlet computing this map result was killed");
}

}  // namespace detail
}  // namespace fern
