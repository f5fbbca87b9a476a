// Rounds of alternating measurements (BENCH.md): every row of a section is measured once per round,
// in the same order, for several rounds; a row's figure is its median, and a comparison's figure is
// the median of its per-round ratios, stated as peer / subject so that bigger is better for fern
// (every unit here, nanoseconds or bytes, is lower-is-better).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace fern::bench {

struct Row {
  std::string key;                  // short name used in RATIO lines: "fern", "fcontext", "py_greenlet"
  std::string label;                // what was measured, for the tables
  std::function<double()> measure;  // one sample; NaN when it could not run
  std::vector<double> samples;      // one per round
  std::string note;                 // why it was skipped, or a remark for the table
};

struct Comparison {
  std::string name;     // RATIO line name: "switch_pingpong"
  std::string subject;  // fern row
  std::vector<std::string> peers;
};

struct Section {
  std::string name;   // "switch"
  std::string title;  // table heading
  std::string unit;   // "ns/switch", "bytes/greenlet"
  std::vector<Row> rows;
  std::vector<Comparison> comparisons;
  int rounds = 3;
  bool warmup = true;  // one discarded round first (timing sections)

  const Row* find(const std::string& key) const;
  // Median of a row's samples; NaN when it has none.
  double median(const std::string& key) const;
  // Median over rounds of peer/subject; NaN when no round has both.
  double ratio(const std::string& subject, const std::string& peer) const;
};

void run_rounds(Section& section);

// Human-readable table on stdout, then the section's RATIO lines.
void print_section(const Section& section);
std::string markdown_section(const Section& section);

// "12.3" style formatting shared by the tables and the target lines.
std::string format_value(double v);
std::string format_ratio(double r);

}  // namespace fern::bench
