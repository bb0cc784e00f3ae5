// The pieces of WriteReport (not part of the engine's API): reading run directories, and
// writing the table, the CSV, the curve data and the plots.
#ifndef IMITATE_ENGINE_REPORT_AGGREGATE_INTERNAL_H_
#define IMITATE_ENGINE_REPORT_AGGREGATE_INTERNAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/report/aggregate.h"

namespace imitate::engine::aggregate_internal {

// One evaluation point: the eval.csv rows sharing (phase, update, env_step), consecutive.
struct EvalPoint {
  int64_t env_step = 0;
  std::map<std::string, double> means;  // column -> mean over episodes (NaN: no number)
};

// What one run directory holds.
struct RunData {
  std::string dir;
  std::string name;                  // `name` of resolved.toml (else the parent folder's name)
  std::string key;                   // resolved.toml without comments, top-level seed and threads
  bool finished = false;             // summary.csv has a row
  std::vector<std::string> columns;  // header of eval.csv (empty: no eval.csv yet)
  std::vector<EvalPoint> points;     // in file order
  int64_t env_steps = 0;             // largest env_step evaluated
  int64_t updates = 0;               // largest update evaluated
  double wall_time = 0;              // largest wall_time of eval.csv and summary.csv
};

// One metric of one configuration, across its seeds.
struct MetricSummary {
  bool lower_is_better = false;  // best = the lowest evaluation (`--metric NAME:min`)
  int64_t seeds = 0;             // seeds with at least one evaluation point of the metric
  Interval final_value;
  Interval best;
  std::vector<std::pair<int64_t, Interval>> curve;  // env_step -> across seeds that have it
};

// One configuration: runs that differ only in seed and threads.
struct GroupSummary {
  std::string label;
  std::vector<std::string> dirs;
  int64_t seeds = 0;
  int64_t finished = 0;
  double env_steps = 0;  // means over seeds
  double updates = 0;
  double wall_time = 0;
  std::map<std::string, MetricSummary> metrics;
};

// ----- aggregate_runs.cc ----- //

// Run directories under `dirs` (sorted, unique), skipping checkpoints/, videos/ and
// *.interrupted-<digits>/ folders. Throws ConfigError for a missing folder or no run found.
std::vector<std::string> FindRunDirs(const std::vector<std::string>& dirs);

// resolved.toml text without comment lines, trailing comments, blank lines and the top-level
// `seed` and `threads` lines: equal for the seeds of one configuration.
std::string ConfigKey(const std::string& resolved_toml);

// The top-level `name` of resolved.toml text, unquoted ("" when it has none).
std::string ConfigName(const std::string& resolved_toml);

// Reads resolved.toml, eval.csv and summary.csv of a run directory.
RunData ReadRun(const std::string& dir);

// ----- aggregate_write.cc ----- //

// The markdown table: configuration | seeds | finished | <metric> final | <metric> best | ...
std::string MarkdownTable(const std::vector<GroupSummary>& groups,
                          const std::vector<std::string>& metrics);

// report.csv: one row per configuration.
void WriteSummaryCsv(const std::string& path, const std::vector<GroupSummary>& groups,
                     const std::vector<std::string>& metrics);

// curves_<metric>.dat: one gnuplot block per configuration that has points; returns their
// count.
int64_t WriteCurves(const std::string& path, const std::vector<GroupSummary>& groups,
                    const std::string& metric);

// The gnuplot script: $IMITATE_GNUPLOT_SCRIPT, else tools/report/curves.gnuplot of
// $IMITATE_SOURCE_DIR or of the source tree this was built from ("" when none exists).
std::string GnuplotScript();

// Runs gnuplot on `data` to draw `png`; "" on success, else why it failed (one line).
std::string PlotCurves(const std::string& script, const std::string& data, const std::string& png,
                       const std::string& metric);

}  // namespace imitate::engine::aggregate_internal

#endif  // IMITATE_ENGINE_REPORT_AGGREGATE_INTERNAL_H_
