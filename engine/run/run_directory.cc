#include "engine/run/run_directory.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/checkpoint/checkpoint.h"
#include "engine/plugins/loader.h"
#include "engine/report/sinks.h"
#include "engine/run/resume.h"
#include "imitate/git_revision.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;

std::string RunDirectory(const Experiment& experiment, const RunOptions& options) {
  return (fs::path(options.runs_root) / experiment.name / std::to_string(experiment.seed)).string();
}

Metrics ReadSummary(const std::string& run_dir, int64_t* episodes) {
  Metrics metrics;
  auto rows = ReadCsv(run_dir + "/summary.csv");
  if (rows.size() < 2) return metrics;
  for (size_t c = 0; c < rows[0].size() && c < rows[1].size(); ++c) {
    if (rows[0][c] == "episodes") {
      if (episodes) *episodes = std::stoll(rows[1][c]);
    } else if (rows[0][c] != "wall_time") {
      metrics[rows[0][c]] = std::stod(rows[1][c]);
    }
  }
  return metrics;
}

void PrintResultTable(const std::string& title, const Metrics& metrics, int64_t episodes) {
  std::string out = fmt::format("\n{} (mean over {} evaluation episodes)\n", title, episodes);
  out += fmt::format("  {:<20} {:>12}\n", "metric", "value");
  out += fmt::format("  {:-<20} {:->12}\n", "", "");
  for (const auto& [k, v] : metrics) out += fmt::format("  {:<20} {:>12.4f}\n", k, v);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

// Looks at the run directory: a finished run (`done` filled), a resumable one, or a fresh start
// (an unfinished directory without a checkpoint is moved aside).
RunStart PrepareRunDirectory(const Experiment& experiment, const std::string& dir, Console& console,
                             RunResult* done) {
  const std::string latest = dir + "/checkpoints/latest";
  const bool resumable = fs::exists(latest) || fs::exists(PreviousCheckpoint(latest));
  done->final_eval = ReadSummary(dir, &done->eval_episodes);
  const bool finished = !done->final_eval.empty();

  // a finished or resumable run directory must hold the same experiment
  if (finished || resumable) {
    std::vector<std::string> keys = KeysDifferingFromRun(
        dir, ResolvedToml(experiment, HostFingerprint(), IMITATE_GIT_REVISION));
    if (!keys.empty()) {
      throw ConfigError(
          fmt::format("{} holds {} run of a different configuration (differing: {}); {}, or choose "
                      "another name or --runs-dir",
                      dir, finished ? "a finished" : "an unfinished", fmt::join(keys, ", "),
                      finished ? "delete it to run again" : "resume it with the same settings"));
    }
  }
  // a finished run is reported, not repeated
  if (finished) {
    done->run_dir = dir;
    done->already_finished = true;
    console.Info(fmt::format("{} already finished (delete it to run again)", dir));
    return RunStart::kFinished;
  }
  if (!resumable && fs::exists(dir)) {
    // one that stopped before its first checkpoint is kept aside, not overwritten
    std::string aside = fmt::format("{}.interrupted-{}", dir, std::time(nullptr));
    fs::rename(dir, aside);
    console.Info(
        fmt::format("{} stopped before its first checkpoint: moved it to {} and "
                    "starting again",
                    dir, aside));
  }
  return resumable ? RunStart::kResume : RunStart::kFresh;
}

}  // namespace imitate::engine
