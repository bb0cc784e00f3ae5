// WriteReport: runs grouped by configuration, metrics across seeds with bootstrap intervals.
#include "engine/report/aggregate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/report/aggregate_internal.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
using aggregate_internal::GroupSummary;
using aggregate_internal::MetricSummary;
using aggregate_internal::RunData;

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// the q-quantile of sorted values, interpolated linearly between neighbours
double Quantile(const std::vector<double>& sorted, double q) {
  double position = q * static_cast<double>(sorted.size() - 1);
  size_t below = static_cast<size_t>(std::floor(position));
  size_t above = std::min(below + 1, sorted.size() - 1);
  double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return kNan;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// the metrics to report: the requested ones (each in every eval.csv; NAME:min marks one whose
// best evaluation is its lowest, NAME:max the default), else the usual ones
std::vector<std::string> ChooseMetrics(const std::vector<RunData>& runs,
                                       const std::vector<std::string>& requested,
                                       std::set<std::string>* lower_is_better) {
  auto has = [](const RunData& run, const std::string& metric) {
    return std::find(run.columns.begin(), run.columns.end(), metric) != run.columns.end();
  };
  std::vector<std::string> metrics;
  for (const std::string& text : requested) {
    std::string metric = text;
    const size_t colon = text.rfind(':');
    if (colon != std::string::npos) {
      const std::string direction = text.substr(colon + 1);
      if (direction != "min" && direction != "max") {
        throw ConfigError(fmt::format(
            "--metric {}: expected NAME, NAME:max or NAME:min (which evaluation is the best)",
            text));
      }
      metric = text.substr(0, colon);
      if (direction == "min") lower_is_better->insert(metric);
    }
    for (const RunData& run : runs) {
      if (run.columns.empty() || has(run, metric)) continue;  // no eval.csv yet: nothing to miss
      throw ConfigError(fmt::format("{}/eval.csv: no column '{}' (its columns: {})", run.dir,
                                    metric, fmt::join(run.columns, ", ")));
    }
    metrics.push_back(metric);
  }
  if (!requested.empty()) return metrics;
  for (const char* metric : {"tasks_completed", "success", "return"}) {
    if (std::any_of(runs.begin(), runs.end(), [&](const RunData& r) { return has(r, metric); })) {
      metrics.push_back(metric);
    }
  }
  return metrics;
}

// one metric over the seeds of a configuration: final, best and the curve
MetricSummary SummariseMetric(const std::vector<const RunData*>& runs, const std::string& metric,
                              bool lower_is_better, int64_t samples, uint64_t seed) {
  std::vector<double> finals;
  std::vector<double> bests;
  std::map<int64_t, std::vector<double>> at_step;
  for (const RunData* run : runs) {
    // the last point at each env_step for the curve, every point for the best
    std::map<int64_t, double> curve;
    double final_value = kNan;
    const double sign = lower_is_better ? -1.0 : 1.0;  // best = the largest sign * value
    double best = kNan;
    for (const auto& point : run->points) {
      auto it = point.means.find(metric);
      if (it == point.means.end() || !std::isfinite(it->second)) continue;
      final_value = it->second;
      if (std::isnan(best) || sign * it->second > sign * best) best = it->second;
      curve[point.env_step] = it->second;
    }
    if (curve.empty()) continue;
    finals.push_back(final_value);
    bests.push_back(best);
    for (const auto& [step, value] : curve) at_step[step].push_back(value);
  }

  MetricSummary summary;
  summary.lower_is_better = lower_is_better;
  summary.seeds = static_cast<int64_t>(finals.size());
  summary.final_value = BootstrapMean(finals, samples, seed);
  summary.best = BootstrapMean(bests, samples, seed);
  for (const auto& [step, values] : at_step) {
    summary.curve.emplace_back(step, BootstrapMean(values, samples, seed));
  }
  return summary;
}

// runs grouped by configuration key, labelled by name, sorted by label
std::vector<GroupSummary> Summarise(const std::vector<RunData>& runs,
                                    const std::vector<std::string>& metrics,
                                    const std::set<std::string>& lower_is_better,
                                    const ReportOptions& options) {
  std::map<std::string, std::vector<const RunData*>> by_key;
  std::vector<std::string> keys;  // in order of their first run directory
  for (const RunData& run : runs) {
    if (by_key[run.key].empty()) keys.push_back(run.key);
    by_key[run.key].push_back(&run);
  }

  std::vector<GroupSummary> groups;
  std::map<std::string, int> name_uses;
  for (const std::string& key : keys) {
    const std::vector<const RunData*>& members = by_key[key];
    GroupSummary group;
    // a second configuration with the same name becomes "name (2)"
    const std::string& name = members.front()->name;
    int use = ++name_uses[name];
    group.label = use == 1 ? name : fmt::format("{} ({})", name, use);
    group.seeds = static_cast<int64_t>(members.size());
    std::vector<double> env_steps, updates, wall_times;
    for (const RunData* run : members) {
      group.dirs.push_back(run->dir);
      group.finished += run->finished ? 1 : 0;
      env_steps.push_back(static_cast<double>(run->env_steps));
      updates.push_back(static_cast<double>(run->updates));
      wall_times.push_back(run->wall_time);
    }
    group.env_steps = Mean(env_steps);
    group.updates = Mean(updates);
    group.wall_time = Mean(wall_times);
    for (const std::string& metric : metrics) {
      group.metrics[metric] = SummariseMetric(members, metric, lower_is_better.count(metric) > 0,
                                              options.bootstrap_samples, options.bootstrap_seed);
    }
    groups.push_back(std::move(group));
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const GroupSummary& a, const GroupSummary& b) { return a.label < b.label; });
  return groups;
}

// report.md: the table, how to read it, the runs of each configuration and the plots
std::string ReportMarkdown(const std::vector<GroupSummary>& groups, const std::string& table,
                           const std::vector<std::string>& pngs, int64_t samples) {
  std::string text = "# Report\n\n" + table;
  text += fmt::format(
      "\nMeans over seeds with a 95% percentile-bootstrap interval ({} resamples). final: the "
      "last evaluation of each run; best: its best evaluation (the lowest for a metric marked "
      "(min)). Env steps and wall time: means "
      "over seeds.\n\n## Runs\n\n",
      samples);
  for (const GroupSummary& group : groups) {
    text += fmt::format("- {}: {}\n", group.label, fmt::join(group.dirs, ", "));
  }
  if (!pngs.empty()) text += "\n## Curves\n\n";
  for (const std::string& png : pngs) text += fmt::format("![{}]({})\n\n", png, png);
  return text;
}

}  // namespace

Interval BootstrapMean(const std::vector<double>& values, int64_t samples, uint64_t seed) {
  if (values.empty()) return {kNan, kNan, kNan};
  auto [min, max] = std::minmax_element(values.begin(), values.end());
  if (*min == *max) return {*min, *min, *min};

  // resampled means; the modulo keeps the draws the same on every standard library
  std::mt19937_64 random(seed);
  const uint64_t n = values.size();
  std::vector<double> means(static_cast<size_t>(std::max<int64_t>(samples, 1)));
  for (double& mean : means) {
    double sum = 0;
    for (uint64_t i = 0; i < n; ++i) sum += values[random() % n];
    mean = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  double lo = std::clamp(Quantile(means, 0.025), *min, *max);
  double hi = std::clamp(Quantile(means, 0.975), *min, *max);
  return {Mean(values), lo, hi};
}

ReportResult WriteReport(const ReportOptions& options) {
  if (options.bootstrap_samples < 1) {
    throw ConfigError(
        fmt::format("bootstrap samples: {} is not a positive number", options.bootstrap_samples));
  }
  std::vector<std::string> dirs = aggregate_internal::FindRunDirs(options.dirs);
  std::vector<RunData> runs;
  for (const std::string& dir : dirs) runs.push_back(aggregate_internal::ReadRun(dir));
  std::set<std::string> lower_is_better;
  std::vector<std::string> metrics = ChooseMetrics(runs, options.metrics, &lower_is_better);
  std::vector<GroupSummary> groups = Summarise(runs, metrics, lower_is_better, options);

  ReportResult result;
  result.runs = static_cast<int64_t>(runs.size());
  result.groups = static_cast<int64_t>(groups.size());
  if (metrics.empty()) {
    result.warnings.push_back(
        "no metric reported: no eval.csv has tasks_completed, success or return (name one)");
  }

  // the output folder, by default report/ in the first folder named
  fs::path out =
      options.out.empty() ? fs::path(options.dirs.front()) / "report" : fs::path(options.out);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) {
    throw DataError(fmt::format("{}: cannot create the report folder ({})", out.string(),
                                ec ? ec.message() : "not a folder"));
  }
  auto path = [&](const std::string& name) { return (out / name).string(); };

  // the table and its CSV twin
  result.table_markdown = aggregate_internal::MarkdownTable(groups, metrics);
  aggregate_internal::WriteSummaryCsv(path("report.csv"), groups, metrics);
  result.files_written.push_back(path("report.csv"));

  // curve data per metric, then the plots while gnuplot works
  std::string script = options.plots ? aggregate_internal::GnuplotScript() : "";
  bool plotting = options.plots;
  if (plotting && script.empty()) {
    result.warnings.push_back(
        "plots skipped: tools/report/curves.gnuplot not found (set IMITATE_GNUPLOT_SCRIPT)");
    plotting = false;
  }
  std::vector<std::string> pngs;
  for (const std::string& metric : metrics) {
    std::string data = path("curves_" + metric + ".dat");
    int64_t blocks = aggregate_internal::WriteCurves(data, groups, metric);
    result.files_written.push_back(data);
    if (!plotting || blocks == 0) continue;
    std::string png = path("curves_" + metric + ".png");
    std::string failure = aggregate_internal::PlotCurves(script, data, png, metric);
    if (!failure.empty()) {
      result.warnings.push_back(fmt::format("plots skipped: {}", failure));
      plotting = false;
      continue;
    }
    result.files_written.push_back(png);
    pngs.push_back("curves_" + metric + ".png");
  }

  // report.md last, with the plots that were drawn
  std::ofstream md(path("report.md"));
  md << ReportMarkdown(groups, result.table_markdown, pngs, options.bootstrap_samples);
  if (!md.flush()) throw DataError(fmt::format("{}: cannot write", path("report.md")));
  result.files_written.push_back(path("report.md"));
  return result;
}

}  // namespace imitate::engine
