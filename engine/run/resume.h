// What a run needs to continue where it stopped, beyond the agent: the runner's own state as
// text (stored inside each checkpoint), the online episodes on disk, and the check that a run
// directory belongs to the same experiment.
#ifndef IMITATE_ENGINE_RUN_RESUME_H_
#define IMITATE_ENGINE_RUN_RESUME_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/data/episode.h"
#include "imitate/sdk/spaces.h"

namespace imitate::engine {

// The runner's state at a checkpoint (the counters travel in the checkpoint itself).
struct RunState {
  std::string replay_rng;  // the replay sampler's std::mt19937_64, as its stream text
  std::string torch_rng;   // LibTorch's default CPU generator state, hex
  double elapsed = 0;      // wall time of the run so far (seconds)
  double best_score = -1e300;
  int64_t last_eval_updates = -1;  // where the last evaluation was (no evaluation twice)
  int64_t last_eval_env_steps = -1;
  Metrics last_eval;
  Metrics window;  // training metrics summed since the last train.csv row
  int64_t window_count = 0;
  // sizes of the append-only logs: what was written after the checkpoint is cut on resume
  int64_t train_csv_size = 0;
  int64_t eval_csv_size = 0;
  int64_t jsonl_size = 0;
};

std::string SerializeRunState(const RunState& state);
// Throws DataError naming `source` for text that is not a RunState.
RunState ParseRunState(const std::string& text, const std::string& source);

// The random-number states of the replay sampler and LibTorch's default CPU generator.
void CaptureRng(const std::mt19937_64& rng, RunState* state);
void RestoreRng(const RunState& state, std::mt19937_64* rng);

// Online episode `index` of a run: <dir>/replay/<index>.pt, written atomically.
void SaveEpisode(const std::string& run_dir, int64_t index, const Episode& episode);
Episode LoadEpisode(const std::string& run_dir, int64_t index);

// The keys whose values differ between two resolved.toml texts (`threads` and comments are
// ignored): empty when the runs are the same experiment.
std::vector<std::string> DifferingKeys(const std::string& resolved_a,
                                       const std::string& resolved_b);

// The keys in which the run directory's resolved.toml differs from `resolved_now` (the
// experiment about to run there, as ResolvedToml writes it); a missing file differs in every
// key.
std::vector<std::string> KeysDifferingFromRun(const std::string& run_dir,
                                              const std::string& resolved_now);

// Cuts a file back to `size` bytes (no-op when it is shorter or missing).
void TruncateFile(const std::string& path, int64_t size);

// The size of a file in bytes, 0 when it is missing.
int64_t FileSize(const std::string& path);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_RESUME_H_
