// Ablation batches: a TOML file naming a base experiment, seeds, a grid of values and groups of
// values that vary together, expanded into one `imitate run` per point and seed.
//
//   base = "../kitchen/cmil_state.toml"    # or a list: the experiments are an axis
//   presets = ["small"]
//   seeds = [0, 1, 2]
//   set = ["schedule.eval_episodes=10"]     # fixed overrides for every run
//   [grid]                                  # the Cartesian product of these lists
//   optimizer.uncertainty_penalty = [0.0, 10.0]
//   [[zip]]                                 # keys that vary together (equal lengths)
//   dynamics.members = [2, 10]
//   optimizer.horizon = [5, 15]
#ifndef IMITATE_ENGINE_BATCH_BATCH_H_
#define IMITATE_ENGINE_BATCH_BATCH_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace imitate::engine {

// Slurm resources for `imitate batch FILE --slurm OUT.sh` (the batch file's [slurm] table).
struct SlurmResources {
  std::string partition;  // empty: the cluster's default
  std::string time = "24:00:00";
  int64_t cpus_per_task = 4;
  std::string mem = "16G";
  int64_t gpus = 0;
  int64_t max_parallel = 0;        // 0: no limit on simultaneous array tasks
  std::vector<std::string> setup;  // shell lines run before imitate (module load, ...)
};

// One axis value: the overrides it sets and its short label for the run's name.
struct AxisValue {
  std::vector<std::string> overrides;  // "key.path=value"
  std::string label;                   // "uncertainty_penalty=0"
};

// One run of a batch: `imitate run experiment --preset ... --set ...` into
// <batch dir>/<name>/<seed>.
struct BatchRun {
  std::string name;  // the point's name (a folder name), shared by its seeds
  int64_t seed = 0;
  std::string experiment;  // the experiment file, as a path usable from the working folder
  std::vector<std::string> presets;
  std::vector<std::string> overrides;  // fixed overrides, then the point's; seed/name last
};

// A parsed batch file.
struct Batch {
  std::string path;  // the batch file
  std::string name;  // the batch's folder under the runs root (default: the file's stem)
  std::vector<std::string> experiments;  // `base`: one, or several (an axis)
  std::vector<std::string> presets;
  std::vector<int64_t> seeds = {0};
  std::vector<std::string> fixed;  // `set`
  // each axis is a list of values; a [grid] key is one axis, a [[zip]] group is one axis
  std::vector<std::vector<AxisValue>> axes;
  int64_t threads = 0;  // per run; 0: the machine's cores divided by the jobs
  int64_t retries = 1;  // extra attempts after a failure
  SlurmResources slurm;
};

// Reads a batch file. Throws ConfigError "file:line:column: key: what" for a missing file, bad
// TOML, unknown keys, wrong types, empty lists and zip groups of unequal lengths.
Batch LoadBatch(const std::string& path);

// Every run: experiments x grid axes x zip groups (the last axis varies fastest), then seeds.
// Point names join the axis labels with ',' ("base" when nothing varies); two points with the
// same name are a ConfigError.
std::vector<BatchRun> ExpandBatch(const Batch& batch);

// The argument list of `imitate run` for one run (without the executable).
std::vector<std::string> RunArguments(const BatchRun& run, const std::string& batch_dir,
                                      int64_t threads);

// batch.toml: the expansion, written into the batch folder for `imitate report` and for users.
std::string ExpansionToml(const Batch& batch, const std::vector<BatchRun>& runs);

// The Slurm array script: one array task per run, resources from the batch file.
std::string SlurmScript(const Batch& batch, const std::vector<BatchRun>& runs,
                        const std::string& imitate_path, const std::string& batch_dir);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_BATCH_BATCH_H_
