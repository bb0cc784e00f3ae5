// Runs the runs of a batch as child processes, N at a time: skips finished runs, retries failed
// ones, prints one line per run as it starts and ends (and, on a terminal, a live line per
// running run), and reports the failures with the last lines of their logs.
#ifndef IMITATE_ENGINE_BATCH_POOL_H_
#define IMITATE_ENGINE_BATCH_POOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/batch/batch.h"

namespace imitate::engine {

struct PoolOptions {
  std::string imitate_path;  // the executable the children run
  std::string batch_dir;     // runs go to <batch_dir>/<name>/<seed>, logs to <batch_dir>/logs
  int64_t jobs = 1;          // runs at a time
  int64_t threads = 1;       // `threads` of each run
  int64_t retries = 1;       // extra attempts after a failure
};

struct PoolResult {
  int64_t finished = 0;  // ran to the end in this call
  int64_t skipped = 0;   // had finished before
  // per run out of attempts: "name seed S: exit code / signal (log: PATH)" and the log's last
  // lines, each on its own indented line
  std::vector<std::string> failed;
};

// True when the run directory holds a summary.csv (what a finished run writes last).
bool RunFinished(const std::string& batch_dir, const BatchRun& run);

// <batch_dir>/logs/<name>.seed<S>.log
std::string RunLogPath(const std::string& batch_dir, const BatchRun& run);

PoolResult RunPool(const std::vector<BatchRun>& runs, const PoolOptions& options);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_BATCH_POOL_H_
