// Runs a policy in an environment one step at a time, turning steps into finished Episodes.
#ifndef IMITATE_ENGINE_RUN_COLLECTOR_H_
#define IMITATE_ENGINE_RUN_COLLECTOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/data/episode.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/optimizer.h"

namespace imitate::engine {

// The result of one finished episode.
struct EpisodeResult {
  double episode_return = 0.0;
  int64_t length = 0;  // number of steps (actions)
  Metrics metrics;     // the environment's metrics at the last step
};

// Steps one environment with an optimizer's policy. Episode i is reset with seed
// `seed_of(i)`, so runs are reproducible.
class Collector {
 public:
  // `first_episode`: the index of the next episode (a resumed run continues the sequence).
  Collector(Environment& env, Optimizer& policy, ActMode mode, uint64_t seed_stream,
            int64_t first_episode = 0);

  // Takes one environment step (resetting first when no episode is running). Returns the
  // episode when this step finished it.
  std::optional<Episode> Step();

  // Steps until the current (or a new) episode ends and returns its result.
  EpisodeResult RunEpisode();

  int64_t episodes_started() const { return episodes_started_; }

  // Called with every step (the reset step included) and the episode's index, e.g. to record
  // videos.
  using Observer = std::function<void(Environment& env, const TimeStep& step, int64_t episode)>;
  void SetObserver(Observer observer) { observer_ = std::move(observer); }

 private:
  void Begin();

  Environment& env_;
  Optimizer& policy_;
  ActMode mode_;
  uint64_t seed_stream_;
  EpisodeBuilder builder_;
  TensorMap carry_;
  TensorMap batched_obs_;   // [1, ...] views of the current observation
  torch::Tensor is_first_;  // bool [1]
  const TimeStep* current_ = nullptr;
  int64_t episodes_started_ = 0;
  Observer observer_;
};

// Mean of return, length and each metric over episodes (keys "return", "length", metrics).
Metrics Summarize(const std::vector<EpisodeResult>& results);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_COLLECTOR_H_
