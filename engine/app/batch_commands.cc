// `imitate batch` and `imitate report`: ablation batches as child processes, and the tables and
// plots that aggregate their runs.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/app/commands.h"
#include "engine/batch/batch.h"
#include "engine/batch/pool.h"
#include "engine/plugins/loader.h"
#include "engine/report/aggregate.h"
#include "engine/report/sinks.h"
#include "engine/run/resume.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
namespace {

// the path of this executable (children run the same build)
std::string SelfPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw InternalError("batch: cannot find the imitate executable (/proc/self/exe)");
  return self.string();
}

// Every point loads as an experiment (one seed each: the seed changes nothing else), and a
// finished run of the batch must be of the same configuration: a batch file edited after its
// runs finished would otherwise skip them and report stale results under the new settings.
void ValidateRuns(const Batch& batch, const std::vector<BatchRun>& runs,
                  const std::string& batch_dir) {
  Registry registry;
  LoadPluginDirectories(PluginSearchPath(), registry);
  std::set<std::string> checked;
  for (const BatchRun& run : runs) {
    const bool finished = RunFinished(batch_dir, run);
    if (!checked.insert(run.name).second && !finished) continue;
    std::vector<std::string> overrides = run.overrides;
    overrides.push_back(fmt::format("name=\"{}\"", run.name));
    overrides.push_back(fmt::format("seed={}", run.seed));
    Experiment experiment;
    try {
      experiment = LoadExperiment({run.experiment, run.presets, overrides}, registry);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: point '{}': {}", batch.path, run.name, e.what()));
    }
    if (!finished) continue;
    std::string dir = fmt::format("{}/{}/{}", batch_dir, run.name, run.seed);
    std::vector<std::string> keys =
        KeysDifferingFromRun(dir, ResolvedToml(experiment, HostFingerprint(), ""));
    if (!keys.empty()) {
      throw ConfigError(fmt::format(
          "{}: {} finished with a different configuration (differing: {}); move it away or "
          "give the batch another name",
          batch.path, dir, fmt::join(keys, ", ")));
    }
  }
}

// --list: one line per run
void PrintRuns(const std::vector<BatchRun>& runs, const std::string& batch_dir) {
  std::string out;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string overrides;
    for (const auto& o : runs[i].overrides) overrides += " --set " + o;
    std::string state = RunFinished(batch_dir, runs[i]) ? " (finished)" : "";
    out += fmt::format(
        "{:>3}  {}/{}/{}{}\n     {}{}{}\n", i, batch_dir, runs[i].name, runs[i].seed, state,
        runs[i].experiment,
        runs[i].presets.empty()
            ? ""
            : " --preset " + fmt::format("{}", fmt::join(runs[i].presets, " --preset ")),
        overrides);
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int BatchCommand(const BatchArgs& args) {
  Batch batch = LoadBatch(args.file);
  std::vector<BatchRun> runs = ExpandBatch(batch);
  if (!args.only.empty()) {
    std::vector<BatchRun> kept;
    for (const BatchRun& run : runs) {
      for (const std::string& part : args.only) {
        if (run.name.find(part) != std::string::npos) {
          kept.push_back(run);
          break;
        }
      }
    }
    if (kept.empty()) {
      throw ConfigError(
          fmt::format("--only {}: no point of {} matches", fmt::join(args.only, ", "), args.file));
    }
    runs = kept;
  }
  std::string batch_dir = (fs::path(args.runs_root) / batch.name).string();
  ValidateRuns(batch, runs, batch_dir);
  if (args.list) {
    PrintRuns(runs, batch_dir);
    std::printf("%zu runs (%zu points x %zu seeds) in %s\n", runs.size(),
                runs.size() / batch.seeds.size(), batch.seeds.size(), batch_dir.c_str());
    return 0;
  }
  fs::create_directories(batch_dir);
  WriteFileAtomic(batch_dir + "/batch.toml", ExpansionToml(batch, runs));

  // a Slurm array script instead of running here
  if (!args.slurm.empty()) {
    WriteFileAtomic(args.slurm, SlurmScript(batch, runs, SelfPath(), batch_dir));
    fs::permissions(args.slurm, fs::perms::owner_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    std::printf("wrote %s: %zu array tasks; submit with `sbatch %s`\n", args.slurm.c_str(),
                runs.size(), args.slurm.c_str());
    return 0;
  }

  // run here, `jobs` at a time, the cores shared between them
  PoolOptions pool;
  pool.imitate_path = SelfPath();
  pool.batch_dir = batch_dir;
  pool.jobs = args.jobs;
  int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  pool.threads = batch.threads > 0 ? batch.threads : std::max<int64_t>(1, cores / args.jobs);
  pool.retries = batch.retries;
  std::fprintf(stderr, "batch %s: %zu runs, %ld at a time, %ld thread(s) each -> %s\n",
               batch.name.c_str(), runs.size(), static_cast<long>(pool.jobs),
               static_cast<long>(pool.threads), batch_dir.c_str());
  PoolResult result = RunPool(runs, pool);
  std::fprintf(stderr, "batch %s: %ld finished, %ld skipped (finished before), %zu failed\n",
               batch.name.c_str(), static_cast<long>(result.finished),
               static_cast<long>(result.skipped), result.failed.size());
  for (const std::string& f : result.failed) std::fprintf(stderr, "  failed: %s\n", f.c_str());

  // the table and plots of everything that finished
  if (!args.no_report) {
    ReportArgs report;
    report.dirs = {batch_dir};
    ReportCommand(report);
  }
  return result.failed.empty() ? 0 : 1;
}

int ReportCommand(const ReportArgs& args) {
  ReportOptions options;
  options.dirs = args.dirs;
  options.out = args.out.empty() ? (fs::path(args.dirs.at(0)) / "report").string() : args.out;
  options.metrics = args.metrics;
  options.plots = args.plots;
  ReportResult result = WriteReport(options);
  std::printf("%s\n", result.table_markdown.c_str());
  for (const std::string& w : result.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::printf("%ld runs in %ld configurations; wrote %s\n", static_cast<long>(result.runs),
              static_cast<long>(result.groups),
              fmt::format("{}", fmt::join(result.files_written, ", ")).c_str());
  return 0;
}

}  // namespace imitate::engine
