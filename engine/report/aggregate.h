// `imitate report`: aggregates run directories (seeds of the same configuration) into a table
// of final and best evaluation metrics with bootstrap intervals, and learning curves.
#ifndef IMITATE_ENGINE_REPORT_AGGREGATE_H_
#define IMITATE_ENGINE_REPORT_AGGREGATE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace imitate::engine {

// What to aggregate and where to write it.
struct ReportOptions {
  // run directories (folders holding resolved.toml), or folders searched recursively for them
  std::vector<std::string> dirs;
  // output folder, created if missing (empty: <first dir>/report)
  std::string out;
  // metric columns of eval.csv; empty: each of tasks_completed, success, return that appears
  std::vector<std::string> metrics;
  // run gnuplot (tools/report/curves.gnuplot) for curves_<metric>.png
  bool plots = true;
  // resamples of the percentile bootstrap and the seed of its generator
  int64_t bootstrap_samples = 10000;
  uint64_t bootstrap_seed = 0;
};

// What WriteReport found and wrote.
struct ReportResult {
  int64_t runs = 0;    // run directories aggregated
  int64_t groups = 0;  // configurations (runs that differ only in seed and threads)
  std::vector<std::string> files_written;
  std::string table_markdown;         // the table of report.md, for the console
  std::vector<std::string> warnings;  // one line each, e.g. why the plots were skipped
};

// Finds the runs under options.dirs, groups them by configuration and writes report.md,
// report.csv, curves_<metric>.dat and (with gnuplot) curves_<metric>.png into options.out.
// Throws ConfigError for a folder that does not exist, no run directory under the folders, or
// an eval.csv without a requested metric; DataError for an unreadable eval.csv or output.
ReportResult WriteReport(const ReportOptions& options);

// A mean over seeds with its 95% percentile-bootstrap interval.
struct Interval {
  double mean = 0;
  double lo = 0;
  double hi = 0;
};

// The mean of `values` and the 2.5% / 97.5% quantiles of `samples` resampled means (drawn
// with replacement from a generator seeded with `seed`: deterministic). One value, or all
// values equal: exactly [v, v]. No values: NaN.
Interval BootstrapMean(const std::vector<double>& values, int64_t samples, uint64_t seed);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_REPORT_AGGREGATE_H_
