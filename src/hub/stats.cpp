#include "fern/hub/stats.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {

namespace detail {

void StackPeakTable::note(const char* file, std::uint32_t line, std::size_t peak, std::size_t capacity,
                          const std::string& name) noexcept {
  if (!file) return;
  if (!entries) {
    try {
      entries.reset(new Entry[kSize]);
    } catch (...) {
      return;  // statistics are not worth failing a greenlet's end for
    }
  }
  constexpr std::size_t kProbes = 8;
  std::size_t h = (reinterpret_cast<std::uintptr_t>(file) >> 3) * 31 + line;
  for (std::size_t i = 0; i < kProbes; ++i) {
    Entry& e = entries[(h + i) % kSize];
    if (e.file == nullptr) {
      e.file = file;
      e.line = line;
      try {
        e.name = name;
      } catch (...) {
      }
    } else if (e.file != file || e.line != line) {
      continue;
    }
    e.peak = std::max(e.peak, static_cast<std::uint32_t>(peak));
    e.capacity = static_cast<std::uint32_t>(capacity);
    ++e.count;
    return;
  }
}

}  // namespace detail

HubStats stats(Hub& hub) {
  HubStats s;
  detail::HubCounters& c = hub.counters();
  s.loop_turns = c.loop_turns;
  s.switches = c.switches;
  s.polls = c.polls;
  s.greenlets_spawned = hub.greenlets_spawned();
  s.greenlets_live = c.live_greenlets.load(std::memory_order_relaxed);
  s.ready = hub.ready_count();
  s.timers = hub.timers().size();
  s.fd_waits = hub.driver().waiting();
  s.external_refs = hub.external_refs();
  // Counted by the kind's pointer (a string literal per primitive), named once per kind: a scrape of
  // 100,000 greenlets must not build 100,000 strings as run_info() does.
  std::map<const char*, std::size_t> by_kind;
  hub.for_each_resident([&](HubResident& r) {
    auto* g = dynamic_cast<HubGreenlet*>(&r);
    if (!g || g == Greenlet::current()) return;
    Waiter* w = Waiter::of(*g);
    if (!w || w->woken()) return;
    ++by_kind[w->subject().kind];
  });
  for (const auto& [kind, n] : by_kind) s.parked_by_kind[kind ? kind : "unnamed"] += n;
  if (auto& entries = hub.stack_peaks().entries) {
    for (std::size_t i = 0; i < detail::StackPeakTable::kSize; ++i) {
      const auto& e = entries[i];
      if (!e.file) continue;
      s.stack_use.push_back(
          {std::string(e.file) + ":" + std::to_string(e.line), e.name, e.peak, e.capacity, e.count});
    }
    std::sort(s.stack_use.begin(), s.stack_use.end(),
              [](const StackUse& a, const StackUse& b) { return a.peak > b.peak; });
  }
  return s;
}

HubStats stats() { return stats(Hub::current()); }

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, double value,
            const std::string& labels = {}) {
  if (!help) {
    out += name;
  } else {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
  }
  if (!labels.empty()) out += "{" + labels + "}";
  char buf[32];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  out += buf;
}

// Prometheus label values escape backslash, quote and newline.
std::string label_value(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

}  // namespace

std::string format_prometheus(const HubStats& s) {
  std::string out;
  auto d = [](auto v) { return static_cast<double>(v); };
  metric(out, "fern_hub_loop_turns_total", "counter", "Turns of the hub's loop.", d(s.loop_turns));
  metric(out, "fern_hub_switches_total", "counter", "Greenlets resumed by the hub or handed off to.",
         d(s.switches));
  metric(out, "fern_hub_polls_total", "counter", "Calls into the I/O driver.", d(s.polls));
  metric(out, "fern_hub_greenlets_spawned_total", "counter", "Greenlets spawned.", d(s.greenlets_spawned));
  metric(out, "fern_hub_greenlets_live", "gauge", "Spawned greenlets not yet finished.", d(s.greenlets_live));
  metric(out, "fern_hub_ready", "gauge", "Greenlets and callbacks queued to run.", d(s.ready));
  metric(out, "fern_hub_timers", "gauge", "Timers armed.", d(s.timers));
  metric(out, "fern_hub_fd_waits", "gauge", "Waits on descriptors linked in the driver.", d(s.fd_waits));
  metric(out, "fern_hub_external_refs", "gauge", "Thread-pool jobs and other work that will come back.",
         d(s.external_refs));
  bool first = true;
  for (const auto& [kind, n] : s.parked_by_kind) {
    metric(out, "fern_hub_parked", "gauge", first ? "Parked greenlets by what they wait on." : nullptr, d(n),
           "kind=\"" + label_value(kind) + "\"");
    first = false;
  }
  first = true;
  for (const StackUse& u : s.stack_use) {
    metric(out, "fern_greenlet_stack_peak_bytes", "gauge",
           first ? "Deepest stack seen at a park, per spawn site." : nullptr, d(u.peak),
           "site=\"" + label_value(u.site) + "\",name=\"" + label_value(u.name) + "\"");
    first = false;
  }
  return out;
}

}  // namespace fern
