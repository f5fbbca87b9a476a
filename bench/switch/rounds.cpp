#include "rounds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace fern::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double min_of(const std::vector<double>& values) {
  double m = kNaN;
  for (double v : values) {
    if (!std::isnan(v) && (std::isnan(m) || v < m)) m = v;
  }
  return m;
}

double max_of(const std::vector<double>& values) {
  double m = kNaN;
  for (double v : values) {
    if (!std::isnan(v) && (std::isnan(m) || v > m)) m = v;
  }
  return m;
}

}  // namespace

const Row* Section::find(const std::string& key) const {
  for (const Row& r : rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

double Section::median(const std::string& key) const {
  const Row* r = find(key);
  return r ? median_of(r->samples) : kNaN;
}

double Section::ratio(const std::string& subject, const std::string& peer) const {
  const Row* s = find(subject);
  const Row* p = find(peer);
  if (!s || !p) return kNaN;
  std::vector<double> ratios;
  for (std::size_t i = 0; i < s->samples.size() && i < p->samples.size(); ++i) {
    if (s->samples[i] > 0 && !std::isnan(p->samples[i])) ratios.push_back(p->samples[i] / s->samples[i]);
  }
  return median_of(ratios);
}

void run_rounds(Section& section) {
  if (section.warmup) {
    for (Row& r : section.rows) {
      if (r.note.empty()) r.measure();
    }
  }
  for (int round = 0; round < section.rounds; ++round) {
    for (Row& r : section.rows) {
      r.samples.push_back(r.note.empty() ? r.measure() : kNaN);
    }
  }
}

std::string format_value(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 100 ? "%.1f" : "%.0f", v);
  return buf;
}

std::string format_ratio(double r) {
  if (std::isnan(r)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, r < 10 ? "%.2f" : "%.1f", r);
  return buf;
}

void print_section(const Section& section) {
  std::printf("\n%s (%s, median of %d rounds)\n", section.title.c_str(), section.unit.c_str(),
              section.rounds);
  for (const Row& r : section.rows) {
    std::printf("  %-52s %10s  [%s .. %s]  %s\n", r.label.c_str(),
                format_value(section.median(r.key)).c_str(), format_value(min_of(r.samples)).c_str(),
                format_value(max_of(r.samples)).c_str(), r.note.c_str());
  }
  for (const Comparison& c : section.comparisons) {
    std::string line = "RATIO " + c.name;
    int shown = 0;
    for (const std::string& peer : c.peers) {
      const double ratio = section.ratio(c.subject, peer);
      if (std::isnan(ratio)) continue;
      line += " " + c.subject + "/" + peer + "=" + format_ratio(ratio);
      ++shown;
    }
    if (shown > 0) std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

std::string markdown_section(const Section& section) {
  std::string md = "### " + section.title + "\n\n";
  md += "Unit: " + section.unit + " (lower is better); median of " + std::to_string(section.rounds) +
        " alternating rounds, with the range seen.\n\n";
  md += "| implementation | key | median | min | max | note |\n|---|---|---:|---:|---:|---|\n";
  for (const Row& r : section.rows) {
    md += "| " + r.label + " | `" + r.key + "` | " + format_value(section.median(r.key)) + " | " +
          format_value(min_of(r.samples)) + " | " + format_value(max_of(r.samples)) + " | " + r.note + " |\n";
  }
  bool any = false;
  for (const Comparison& c : section.comparisons) {
    for (const std::string& peer : c.peers) {
      const double ratio = section.ratio(c.subject, peer);
      if (std::isnan(ratio)) continue;
      if (!any) md += "\n| ratio (peer / fern, bigger is better for fern) | value |\n|---|---:|\n";
      any = true;
      md += "| `" + c.subject + "/" + peer + "` | " + format_ratio(ratio) + " |\n";
    }
  }
  return md + "\n";
}

}  // namespace fern::bench
