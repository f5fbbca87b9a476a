// bench/switch: what a greenlet switch, a greenlet's life and a parked greenlet cost in fern, side by
// side with Boost.Context, Boost.Fiber and Python's greenlet/gevent, measured in one run in
// alternating rounds (BENCH.md). Usage:
//
//   bench_switch [--quick] [--rounds N] [--python PATH] [--peer SCRIPT] [--markdown FILE]
//   bench_switch --rss-child KIND COUNT      (internal: one fresh process per RSS sample; KIND is
//                                            guarded, dense, dense_heap or spawned_dense)
//
// Prints the machine line, a table per operation, RATIO lines (peer / fern, bigger is better for
// fern), TARGET lines for the goals of the greenlet layer, and writes the tables to --markdown.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cases.hpp"
#include "rounds.hpp"

#ifdef FERN_BENCH_HAVE_BOOST
#include <boost/version.hpp>
#endif

namespace fern::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Options {
  bool quick = false;
  int rounds = 0;  // 0: 3 in quick mode, 5 otherwise
  std::string python = "/usr/bin/python3";
  std::string peer_script = FERN_BENCH_PEER_SCRIPT;
  std::string markdown;
};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command; returns its first line of output, or "" (and *ok = false) on failure.
std::string first_line_of(const std::string& command, bool* ok) {
  *ok = false;
  FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (!p) return "";
  char buf[512] = {};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  while (std::fgetc(p) != EOF) {
  }
  const int status = ::pclose(p);
  std::string line = got ? buf : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  *ok = got && status == 0;
  return line;
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("bench_switch");
}

std::string machine_line() {
  utsname u{};
  ::uname(&u);
  std::string cpu = "unknown";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  return "MACHINE nproc=" + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " kernel=" + u.release +
         " cpu=\"" + cpu + "\"";
}

// The 1-minute load average: on a shared machine it says how far to trust the absolute figures.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

long mem_available_mib() {
  std::ifstream info("/proc/meminfo");
  for (std::string key; info >> key;) {
    if (key == "MemAvailable:") {
      long kib = 0;
      info >> kib;
      return kib / 1024;
    }
    info.ignore(4096, '\n');
  }
  return 0;
}

// The Python peer, one process per sample: prints one number.
struct PythonPeer {
  const Options& options;
  std::string versions;  // empty when the interpreter or greenlet is missing
  bool has_gevent = false;

  explicit PythonPeer(const Options& o) : options(o) {
    bool ok = false;
    versions = first_line_of(command("versions"), &ok);
    if (!ok) versions.clear();
    has_gevent = ok && versions.find("gevent") != std::string::npos;
  }
  std::string command(const std::string& args) const {
    return quoted(options.python) + " " + quoted(options.peer_script) + " " + args;
  }
  double sample(const std::string& args) const {
    bool ok = false;
    const std::string line = first_line_of(command(args), &ok);
    return ok ? std::strtod(line.c_str(), nullptr) : kNaN;
  }
};

Row python_row(const PythonPeer& py, std::string key, std::string label, std::string args,
               bool needs_gevent) {
  Row r{std::move(key), std::move(label), [&py, args] { return py.sample(args); }, {}, {}};
  if (py.versions.empty()) r.note = "skipped: " + py.options.python + " with greenlet not found";
  if (needs_gevent && !py.has_gevent) r.note = "skipped: gevent not importable";
  return r;
}

#ifdef FERN_BENCH_HAVE_BOOST
std::string boost_version() {
  std::string v = BOOST_LIB_VERSION;  // "1_74"
  for (char& c : v) c = c == '_' ? '.' : c;
  return v;
}
#else
std::string boost_version() { return "(not built)"; }

Row skipped_boost_row(std::string key, std::string label) {
  return Row{std::move(key), std::move(label), [] { return kNaN; }, {}, "skipped: built without Boost"};
}
#endif

Section switch_section(const Options& o, const PythonPeer& py) {
  const long n = o.quick ? 2'000'000 : 20'000'000;
  const long n_dense = n;
  const long n_fiber = o.quick ? 1'000'000 : 6'000'000;
  const long n_py = o.quick ? 400'000 : 2'000'000;
  Section s{"switch", "Switch: ping-pong between two contexts, cost of one switch", "ns/switch"};
  s.rows.push_back({"fern", "fern::Greenlet::switch_to, guarded stacks",
                    [n] { return fern_pingpong(StackMode::guarded, n); }});
  s.rows.push_back({"fern_dense", "fern::Greenlet::switch_to, dense stacks",
                    [n_dense] { return fern_pingpong(StackMode::dense, n_dense); }});
  s.rows.push_back({"fern_jump", "fern_context_switch (raw, no greenlet)", [n] { return fern_raw_jump(n); }});
#ifdef FERN_BENCH_HAVE_BOOST
  s.rows.push_back(
      {"fcontext", "Boost.Context jump_fcontext (raw)", [n] { return boost_fcontext_pingpong(n); }});
  s.rows.push_back(
      {"ctx_fiber", "boost::context::fiber::resume", [n] { return boost_context_fiber_pingpong(n); }});
  s.rows.push_back({"boost_fiber", "Boost.Fiber this_fiber::yield, two fibers",
                    [n_fiber] { return boost_fiber_yield_pingpong(n_fiber); }});
#else
  s.rows.push_back(skipped_boost_row("fcontext", "Boost.Context jump_fcontext (raw)"));
  s.rows.push_back(skipped_boost_row("ctx_fiber", "boost::context::fiber::resume"));
  s.rows.push_back(skipped_boost_row("boost_fiber", "Boost.Fiber this_fiber::yield, two fibers"));
#endif
  s.rows.push_back(python_row(py, "py_greenlet", "Python greenlet.switch, two greenlets",
                              "switch " + std::to_string(n_py), false));
  const std::vector<std::string> peers{"fcontext", "ctx_fiber", "boost_fiber", "py_greenlet"};
  std::vector<std::string> fern_peers{"fern_jump"};
  fern_peers.insert(fern_peers.end(), peers.begin(), peers.end());
  s.comparisons = {{"switch_pingpong", "fern", fern_peers},
                   {"switch_pingpong_dense", "fern_dense", peers},
                   {"switch_raw", "fern_jump", {"fcontext", "ctx_fiber"}}};
  s.rounds = o.rounds;
  return s;
}

Section spawn_section(const Options& o, const PythonPeer& py) {
  const long n = o.quick ? 300'000 : 2'000'000;
  const long n_boost = o.quick ? 200'000 : 1'000'000;
  const long n_py = o.quick ? 200'000 : 1'000'000;
  Section s{"spawn", "Spawn + finish: create, switch in, it returns, destroy (pooled stacks)", "ns/op"};
  s.rows.push_back({"fern", "fern::Greenlet, guarded pooled stack",
                    [n] { return fern_spawn_finish(StackMode::guarded, n); }});
  s.rows.push_back({"fern_dense", "fern::Greenlet, dense pooled stack",
                    [n] { return fern_spawn_finish(StackMode::dense, n); }});
#ifdef FERN_BENCH_HAVE_BOOST
  s.rows.push_back({"boost_fiber_pooled", "Boost.Fiber fiber + join, pooled_fixedsize_stack, launch::post",
                    [n_boost] { return boost_fiber_spawn_join(n_boost, false); }});
  s.rows.push_back({"boost_fiber_pooled_dispatch",
                    "Boost.Fiber fiber + join, pooled_fixedsize_stack, launch::dispatch",
                    [n_boost] { return boost_fiber_spawn_join(n_boost, true); }});
  s.rows.push_back({"ctx_fiber_pooled", "boost::context::fiber + resume, pooled_fixedsize_stack",
                    [n] { return boost_context_fiber_spawn_finish(n); }});
#else
  s.rows.push_back(skipped_boost_row("boost_fiber_pooled", "Boost.Fiber fiber + join, pooled stack, post"));
  s.rows.push_back(
      skipped_boost_row("boost_fiber_pooled_dispatch", "Boost.Fiber fiber + join, pooled, dispatch"));
  s.rows.push_back(skipped_boost_row("ctx_fiber_pooled", "boost::context::fiber + resume, pooled stack"));
#endif
  s.rows.push_back(
      python_row(py, "py_greenlet", "Python greenlet(fn).switch()", "spawn " + std::to_string(n_py), false));
  const std::vector<std::string> peers{"boost_fiber_pooled", "boost_fiber_pooled_dispatch",
                                       "ctx_fiber_pooled", "py_greenlet"};
  s.comparisons = {{"spawn_finish", "fern", peers}, {"spawn_finish_dense", "fern_dense", peers}};
  s.rounds = o.rounds;
  return s;
}

std::string count_name(long n) {
  if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
  if (n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
  return std::to_string(n);
}

// One child process per sample, so each starts from a clean heap. Page-table bytes go to `pte`.
Row fern_rss_row(std::string key, std::string label, const char* mode, long count,
                 std::shared_ptr<std::vector<double>> pte) {
  const std::string command = quoted(self_path()) + " --rss-child " + mode + " " + std::to_string(count);
  return Row{std::move(key), std::move(label), [command, pte] {
               bool ok = false;
               const std::string line = first_line_of(command, &ok);
               if (!ok) {
                 std::printf("  (rss child failed: %s)\n", line.c_str());
                 return kNaN;
               }
               char* end = nullptr;
               const double rss = std::strtod(line.c_str(), &end);
               pte->push_back(std::strtod(end, nullptr));
               return rss;
             }};
}

struct RssSection {
  Section section;
  std::shared_ptr<std::vector<double>> guarded_pte = std::make_shared<std::vector<double>>();
  std::shared_ptr<std::vector<double>> dense_pte = std::make_shared<std::vector<double>>();
  std::shared_ptr<std::vector<double>> dense_heap_pte = std::make_shared<std::vector<double>>();
  std::shared_ptr<std::vector<double>> spawned_pte = std::make_shared<std::vector<double>>();
};

RssSection rss_section(const Options& o, const PythonPeer& py, long count) {
  RssSection r;
  Section& s = r.section;
  s.name = "parked_rss_" + count_name(count);
  s.title = "Resident memory per parked greenlet, " + count_name(count) + " parked";
  s.unit = "bytes/greenlet";
  s.warmup = false;
  const bool guarded_fits = count <= 30'000;  // two mappings each under vm.max_map_count 65530
  if (guarded_fits) {
    s.rows.push_back(fern_rss_row("fern", "fern::Greenlet, guarded stacks", "guarded", count, r.guarded_pte));
  }
  s.rows.push_back(fern_rss_row("fern_dense", "fern::Greenlet::make_dense (object in its own dense stack)",
                                "dense", count, r.dense_pte));
  if (count <= 100'000) {
    s.rows.push_back(fern_rss_row("fern_dense_heap", "fern::Greenlet, StackMode::dense, object on the heap",
                                  "dense_heap", count, r.dense_heap_pte));
  }
  s.rows.push_back(fern_rss_row("fern_spawn_dense", "fern::spawn_with dense, parked in Event::wait",
                                "spawned_dense", count, r.spawned_pte));
  Row gevent = python_row(py, "gevent", "gevent.spawn(gevent.sleep, 1000), parked",
                          "rss " + std::to_string(count), true);
  // A parked gevent greenlet is ~8.6 KB: a million needs ~8.2 GiB plus headroom.
  if (count >= 1'000'000 && gevent.note.empty()) {
    if (o.quick) {
      gevent.note = "skipped in --quick (needs ~8.2 GiB and ~1 min)";
    } else if (mem_available_mib() < 12 * 1024) {
      gevent.note = "skipped: less than 12 GiB available";
    }
  }
  s.rows.push_back(std::move(gevent));
  if (guarded_fits) s.comparisons.push_back({s.name, "fern", {"gevent"}});
  s.comparisons.push_back({s.name + "_dense", "fern_dense", {"gevent"}});
  s.comparisons.push_back({s.name + "_spawn_dense", "fern_spawn_dense", {"gevent"}});
  // Large counts take seconds per sample and vary little between runs.
  s.rounds = count >= 1'000'000 || (o.quick && count > 10'000) ? 1 : o.rounds;
  return r;
}

void note_page_tables(Section& s, const std::string& key, const std::vector<double>& pte) {
  std::vector<double> v = pte;
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  for (Row& row : s.rows) {
    if (row.key == key && row.note.empty())
      row.note = "+ " + format_value(v[v.size() / 2]) + " B page tables";
  }
}

struct Target {
  std::string name, goal, measured;
  bool met = false;
  bool known = false;
};

Target switch_target(const Section& s) {
  Target t{"switch", "fern switch_to <= 1.1x raw Boost fcontext"};
  const double ratio = s.ratio("fern", "fcontext");  // fcontext / fern
  if (std::isnan(ratio)) {
    t.measured = "fcontext not measured";
    return t;
  }
  t.known = true;
  t.met = 1 / ratio <= 1.1;
  t.measured = "fern " + format_value(s.median("fern")) + " ns vs fcontext " +
               format_value(s.median("fcontext")) + " ns: " + format_ratio(1 / ratio) + "x the fcontext cost";
  return t;
}

Target spawn_target(const Section& s) {
  Target t{"spawn", "fern spawn+finish >= 3x faster than Boost.Fiber pooled (best launch policy)"};
  const double post = s.median("boost_fiber_pooled");
  const double dispatch = s.median("boost_fiber_pooled_dispatch");
  if (std::isnan(post) && std::isnan(dispatch)) {
    t.measured = "Boost.Fiber not measured";
    return t;
  }
  const std::string best =
      std::isnan(post) || dispatch < post ? "boost_fiber_pooled_dispatch" : "boost_fiber_pooled";
  const double ratio = s.ratio("fern", best);
  t.known = true;
  t.met = ratio >= 3;
  t.measured = "fern " + format_value(s.median("fern")) + " ns vs " + best + " " +
               format_value(s.median(best)) + " ns: " + format_ratio(ratio) + "x faster";
  return t;
}

Target dense_target(const Section& s) {
  Target t{"dense", "1M parked greenlets <= 4 KiB RSS each (StackMode::dense)"};
  const double bytes = s.median("fern_dense");
  if (std::isnan(bytes)) {
    t.measured = "not measured";
    return t;
  }
  t.known = true;
  t.met = bytes <= 4096;
  t.measured = format_value(bytes) + " B per parked greenlet (make_dense)";
  const double spawned = s.median("fern_spawn_dense");
  if (!std::isnan(spawned)) t.measured += ", " + format_value(spawned) + " B spawned";
  const double gevent = s.median("gevent");
  if (!std::isnan(gevent)) t.measured += " (gevent " + format_value(gevent) + " B)";
  return t;
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buf;
}

const char* const kMarkdownNotes = R"(## Notes

- A switch is one transfer of control in one direction; a ping-pong round trip is two.
- fern rows: `StackMode::guarded` is the default (pooled 256 KiB stacks with a guard page);
  `StackMode::dense` carves 32 KiB stacks side by side from large regions, with a canary instead of
  a guard page (see docs/design/context.md).
- Boost.Fiber spawn is measured with a `pooled_fixedsize_stack` created once, with both launch
  policies; the target compares against the faster one.
- Python greenlet spawn is slow here because Python 3.11 maps a fresh frame data-stack chunk for every
  new greenlet and unmaps it when the greenlet dies (`strace -c` shows one mmap and one munmap per
  spawn); that is the peer as Debian ships it.
- Resident memory: one fresh process per sample (this binary re-executed with `--rss-child`, or the
  Python peer), RSS growth from /proc/self/statm over N parked greenlets divided by N, after a
  warm-up greenlet so per-thread state is not counted. The raw fern rows keep their N handles in
  a vector touched before the baseline (8 B each, the caller's, not counted); the spawned row
  keeps no handle (a spawned greenlet holds itself), and the gevent peer keeps a list (8 B each,
  counted). Page tables (VmPTE) are not part of RSS and
  are shown separately for fern. Guarded stacks stop near 32k per process (two mappings each under
  vm.max_map_count 65530), so they are measured at 10k and 30k only.
- The load average is printed at the start and the end: this is a shared 2-core machine, and the
  absolute figures move with it; the per-round ratios much less.
)";

void write_markdown(const Options& o, const std::string& machine, const std::string& load,
                    const PythonPeer& py, const std::vector<const Section*>& sections,
                    const std::vector<Target>& targets) {
  std::string md = "# bench/switch: greenlet switch, spawn and parked memory\n\n";
  md += "Generated by `bench/switch/run.sh" + std::string(o.quick ? " --quick" : "") + "` on " + today_utc() +
        ".\n\n```\n" + machine + "\n```\n\nLoad average (1 min) at start and end: " + load + ".\n\n";
  md += "Peers: Boost " + boost_version() + ", Python " +
        (py.versions.empty() ? std::string("(not found)") : py.versions) +
        ". Release build (-O2), pinned with `taskset -c 1`. Every row is measured once per round, rows in a "
        "fixed order, rounds repeated; figures are medians and ratios are medians of per-round ratios.\n\n";
  md += "## Targets (issue \"Foundation\")\n\n| target | measured | met |\n|---|---|---|\n";
  for (const Target& t : targets) {
    md += "| " + t.goal + " | " + t.measured + " | " + (t.known ? (t.met ? "yes" : "**no**") : "unknown") +
          " |\n";
  }
  md += "\n## Results\n\n";
  for (const Section* s : sections) md += markdown_section(*s);
  md += kMarkdownNotes;
  std::ofstream out(o.markdown);
  out << md;
  if (!out) std::fprintf(stderr, "bench_switch: cannot write %s\n", o.markdown.c_str());
}

int usage() {
  std::fprintf(
      stderr,
      "usage: bench_switch [--quick] [--rounds N] [--python PATH] [--peer SCRIPT] [--markdown FILE]\n"
      "       bench_switch --rss-child guarded|dense|dense_heap|spawned_dense COUNT\n");
  return 2;
}

int run(const Options& o) {
  const std::string machine = machine_line();
  std::printf("%s\n", machine.c_str());
  const std::string load_at_start = load_average();
  PythonPeer py(o);
  std::printf("mode: %s, %d rounds; python peer: %s\n", o.quick ? "quick" : "full", o.rounds,
              py.versions.empty() ? "not found" : py.versions.c_str());

  Section sw = switch_section(o, py);
  run_rounds(sw);
  print_section(sw);
  Section spawn = spawn_section(o, py);
  run_rounds(spawn);
  print_section(spawn);

  std::vector<long> counts{10'000, 100'000, 1'000'000};
  if (!o.quick) counts.insert(counts.begin() + 1, 30'000);
  std::vector<RssSection> rss;
  for (long count : counts) {
    rss.push_back(rss_section(o, py, count));
    RssSection& r = rss.back();
    run_rounds(r.section);
    note_page_tables(r.section, "fern", *r.guarded_pte);
    note_page_tables(r.section, "fern_dense", *r.dense_pte);
    note_page_tables(r.section, "fern_dense_heap", *r.dense_heap_pte);
    note_page_tables(r.section, "fern_spawn_dense", *r.spawned_pte);
    print_section(r.section);
  }

  const std::vector<Target> targets{switch_target(sw), spawn_target(spawn), dense_target(rss.back().section)};
  const std::string load = load_at_start + " / " + load_average();
  std::printf("\nload average (1 min) at start / end: %s\n", load.c_str());
  for (const Target& t : targets) {
    std::printf("TARGET %s: %s -- %s -- %s\n", t.name.c_str(), t.goal.c_str(), t.measured.c_str(),
                t.known ? (t.met ? "met" : "NOT met") : "unknown");
  }
  if (!o.markdown.empty()) {
    std::vector<const Section*> all{&sw, &spawn};
    for (const RssSection& r : rss) all.push_back(&r.section);
    write_markdown(o, machine, load, py, all, targets);
    std::printf("wrote %s\n", o.markdown.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace fern::bench

int main(int argc, char** argv) {
  using namespace fern::bench;
  if (argc == 4 && std::strcmp(argv[1], "--rss-child") == 0) {
    const std::string kind = argv[2];
    const long count = std::strtol(argv[3], nullptr, 10);
    if (kind == "guarded") return fern_parked_rss_child(ParkedKind::guarded, count);
    if (kind == "dense") return fern_parked_rss_child(ParkedKind::dense, count);
    if (kind == "dense_heap") return fern_parked_rss_child(ParkedKind::dense_heap, count);
    if (kind == "spawned_dense") return fern_parked_rss_child(ParkedKind::spawned_dense, count);
    return usage();
  }
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      o.quick = true;
    } else if (arg == "--rounds" && has_value) {
      o.rounds = std::atoi(argv[++i]);
    } else if (arg == "--python" && has_value) {
      o.python = argv[++i];
    } else if (arg == "--peer" && has_value) {
      o.peer_script = argv[++i];
    } else if (arg == "--markdown" && has_value) {
      o.markdown = argv[++i];
    } else {
      return usage();
    }
  }
  if (o.rounds < 3) o.rounds = o.quick ? 3 : 5;
  return run(o);
}
