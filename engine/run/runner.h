// Runs an experiment end to end into its run directory:
//
//   runs/<name>/<seed>/resolved.toml   the experiment with every value (defaults marked)
//                      log.txt         console messages
//                      metrics.jsonl   train and eval summaries, one JSON object per line
//                      train.csv       training metrics every schedule.log_every updates
//                      eval.csv        one row per evaluation episode
//                      checkpoints/    latest (+ latest.previous) and best (atomic writes)
//                      replay/         the online episodes, one file each (for resuming)
//                      summary.csv     the final evaluation (written last: marks the run done)
//
// Phases: offline pretraining (pretrain_updates), the BC warm-up (bc_updates), seeding
// (seed_steps env steps with the pretrained policy), online fine-tuning up to env_steps.
#ifndef IMITATE_ENGINE_RUN_RUNNER_H_
#define IMITATE_ENGINE_RUN_RUNNER_H_

#include <string>

#include "engine/config/experiment.h"
#include "engine/plugins/registry.h"
#include "engine/report/console.h"
#include "imitate/sdk/spaces.h"

namespace imitate::engine {

struct RunOptions {
  std::string runs_root = "runs";  // run directories go to <runs_root>/<name>/<seed>
  int local_ranks = 1;  // ranks of a multi-process run on this machine: they share `threads`
};

struct RunResult {
  std::string run_dir;
  Metrics final_eval;  // means over the last evaluation's episodes
  int64_t eval_episodes = 0;
  bool already_finished = false;  // the run directory held a finished run: nothing was run
};

// Runs `experiment`. In a multi-process run (imitate::GetCollective() set), every rank calls it:
// rank 0 decides whether the run directory is resumed and broadcasts its state after the agent
// is built; each rank has its own environment, replay sampling and seed (seed + rank); the
// gradients are averaged by the optimisers; rank 0 alone evaluates and writes into the run
// directory, and the other ranks return an empty result.
// A finished run directory is reported, not run again; an unfinished one
// with a checkpoint is resumed; either is refused with a ConfigError naming the keys when it
// holds a different experiment (only `threads` may change). One without a checkpoint is
// renamed to <dir>.interrupted-<unix time>.
// Throws imitate::Error subclasses for user-facing failures.
RunResult RunExperiment(const Experiment& experiment, const Registry& registry,
                        const RunOptions& options, Console& console);

// The directory a run of `experiment` writes to.
std::string RunDirectory(const Experiment& experiment, const RunOptions& options);

// Reads summary.csv of a finished run; empty when the run has not finished.
Metrics ReadSummary(const std::string& run_dir, int64_t* episodes = nullptr);

// Writes a final-evaluation table to stdout.
void PrintResultTable(const std::string& title, const Metrics& metrics, int64_t episodes);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_RUNNER_H_
