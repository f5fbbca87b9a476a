#include "fern/hub/run_info.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

const char* to_string(GreenletState state) noexcept {
  switch (state) {
    case GreenletState::ready: return "ready";
    case GreenletState::running: return "running";
    case GreenletState::parked: return "parked";
    case GreenletState::switched: return "switched";
  }
  return "unknown";
}

namespace {

std::string describe_site(const SourceSite& site) {
  if (site.line() == 0) return "";
  std::string out = site.file_name();
  out += ':' + std::to_string(site.line());
  if (*site.function_name()) out += std::string(" in ") + site.function_name();
  return out;
}

std::string describe_fd(const WaitSubject& s) {
  const char* dir = (s.events & io_events::readable) && (s.events & io_events::writable) ? "read+write"
                    : (s.events & io_events::writable)                                   ? "write"
                                                                                         : "read";
  return "fd " + std::to_string(s.fd) + " (" + dir + ")";
}

std::string describe_wait(const WaitSubject& s, const std::map<const void*, const HubGreenlet*>& by_address) {
  if (!s.kind) return "an unnamed wait";
  std::string kind = s.kind;
  if (kind == "fd") return describe_fd(s);
  if (kind == "join") {
    auto it = by_address.find(s.object);
    if (it == by_address.end()) return "join of a finished greenlet";
    return "join #" + std::to_string(it->second->id()) + " (" + it->second->display_name() + ")";
  }
  return kind;
}

GreenletInfo describe(const HubGreenlet& g, const std::map<const void*, const HubGreenlet*>& by_address,
                      TimePoint now) {
  GreenletInfo info;
  info.id = g.id();
  info.parent_id = g.parent_id();
  info.name = g.display_name();
  info.spawned_at = describe_site(g.spawn_site());
  info.stack_peak = g.stack_peak();
  Waiter* w = Waiter::of(const_cast<HubGreenlet&>(g));
  if (&g == Greenlet::current()) {
    info.state = GreenletState::running;
  } else if (g.queued() || !g.started() || (w && w->woken())) {
    info.state = GreenletState::ready;
  } else if (w) {
    info.state = GreenletState::parked;
    info.waits_on = describe_wait(w->subject(), by_address);
    info.waited = std::max(Duration::zero(), now - w->parked_since());
    info.has_deadline = w->has_deadline();
  } else {
    info.state = GreenletState::switched;
  }
  return info;
}

std::string format_duration(Duration d) {
  using namespace std::chrono;
  char buf[32];
  double s = duration<double>(d).count();
  if (s >= 1) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fms", s * 1e3);
  }
  return buf;
}

std::string line_for(const GreenletInfo& g) {
  std::string out = g.name + " (#" + std::to_string(g.id) + ") " + to_string(g.state);
  if (g.state == GreenletState::parked) out += " " + format_duration(g.waited) + " on " + g.waits_on;
  if (!g.spawned_at.empty()) out += ", spawned at " + g.spawned_at;
  return out;
}

void format_subtree(const std::vector<GreenletInfo>& all,
                    const std::multimap<std::uint64_t, std::size_t>& children, std::size_t index,
                    const std::string& indent, std::string& out) {
  out += indent + " +-- " + line_for(all[index]) + "\n";
  auto [first, last] = children.equal_range(all[index].id);
  for (auto it = first; it != last; ++it) format_subtree(all, children, it->second, indent + " |  ", out);
}

// The hubs that asked for a dump on a signal: their inboxes, kept alive here so the handler never
// touches freed memory.
constexpr std::size_t kMaxDumpHubs = 64;
constinit std::array<std::atomic<detail::HubInbox*>, kMaxDumpHubs> g_dump_hubs{};

void on_dump_signal(int) {
  int saved = errno;
  for (auto& slot : g_dump_hubs) {
    detail::HubInbox* inbox = slot.load(std::memory_order_acquire);
    if (!inbox) continue;
    // In a child after fork the hub answers on the inbox Hub::reinit made.
    while (detail::HubInbox* next = inbox->successor.load(std::memory_order_acquire)) inbox = next;
    inbox->dump_requested.store(true, std::memory_order_seq_cst);
    inbox->pending.store(true, std::memory_order_seq_cst);
    if (Driver* d = inbox->driver) d->wake();
  }
  errno = saved;
}

}  // namespace

std::vector<GreenletInfo> run_info(Hub& hub) {
  std::vector<const HubGreenlet*> live;
  std::map<const void*, const HubGreenlet*> by_address;
  hub.for_each_resident([&](HubResident& r) {
    if (auto* g = dynamic_cast<const HubGreenlet*>(&r)) {
      live.push_back(g);
      by_address[static_cast<const Greenlet*>(g)] = g;
    }
  });
  std::vector<GreenletInfo> out;
  out.reserve(live.size());
  TimePoint now = Clock::now();
  for (const HubGreenlet* g : live) out.push_back(describe(*g, by_address, now));
  std::sort(out.begin(), out.end(), [](const GreenletInfo& a, const GreenletInfo& b) { return a.id < b.id; });
  return out;
}

std::vector<GreenletInfo> run_info() {
  Hub* hub = Hub::current_if_exists();
  return hub ? run_info(*hub) : std::vector<GreenletInfo>{};
}

std::string format_run_info(const std::vector<GreenletInfo>& greenlets) {
  std::size_t ready = 0, parked = 0;
  std::multimap<std::uint64_t, std::size_t> children;
  std::map<std::uint64_t, std::size_t> index_of;
  for (std::size_t i = 0; i < greenlets.size(); ++i) index_of[greenlets[i].id] = i;
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < greenlets.size(); ++i) {
    const GreenletInfo& g = greenlets[i];
    ready += g.state == GreenletState::ready;
    parked += g.state == GreenletState::parked;
    if (g.parent_id != 0 && index_of.count(g.parent_id)) {
      children.emplace(g.parent_id, i);
    } else {
      roots.push_back(i);
    }
  }
  std::string out = "<hub: " + std::to_string(greenlets.size()) + " greenlets, " + std::to_string(ready) +
                    " ready, " + std::to_string(parked) + " parked>\n";
  for (std::size_t i : roots) format_subtree(greenlets, children, i, "", out);
  return out;
}

void print_run_info() {
  std::string text = format_run_info(run_info());
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

namespace detail {
void answer_dump_request(HubInbox& inbox) noexcept {
  if (!inbox.dump_requested.exchange(false, std::memory_order_seq_cst)) return;
  try {
    print_run_info();
  } catch (...) {
    std::fputs("fern: could not print the run info (out of memory)\n", stderr);
  }
}
}  // namespace detail

void install_dump_signal(int sig) {
  Hub& hub = Hub::current();
  detail::HubInbox* inbox = hub.inbox().get();
  bool placed = false;
  for (auto& slot : g_dump_hubs) {
    detail::HubInbox* expected = nullptr;
    if (slot.load() == inbox || slot.compare_exchange_strong(expected, inbox)) {
      placed = true;
      break;
    }
  }
  if (!placed) throw_error(Errc::limit_exceeded, "fern: install_dump_signal: too many hubs");
  // The handler may run after the hub is gone: the inbox must outlive it (one per hub, at most 64).
  static std::mutex keep_mutex;
  static std::vector<std::shared_ptr<detail::HubInbox>>* kept =
      new std::vector<std::shared_ptr<detail::HubInbox>>;
  {
    std::lock_guard lock(keep_mutex);
    if (std::find(kept->begin(), kept->end(), hub.inbox()) == kept->end()) kept->push_back(hub.inbox());
  }
  struct sigaction sa {};
  sa.sa_handler = &on_dump_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (::sigaction(sig, &sa, nullptr) != 0) throw_errno("fern: install_dump_signal: sigaction");
}

}  // namespace fern
