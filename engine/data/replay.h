// A replay buffer of whole episodes; samples fixed-length windows as a Batch.
#ifndef IMITATE_ENGINE_DATA_REPLAY_H_
#define IMITATE_ENGINE_DATA_REPLAY_H_

#include <torch/types.h>

#include <cstdint>
#include <random>
#include <vector>

#include "engine/data/episode.h"
#include "imitate/sdk/optimizer.h"

namespace imitate::engine {

class ReplayBuffer {
 public:
  // How a window's start is drawn inside its episode.
  enum class WindowStart {
    kUniform,    // uniform over the starts that fit (the authors')
    kCoverEnds,  // uniform over [-(T - 1), L - 1], clamped to the starts that fit: every step
                 // is then equally likely to be in a window, the first and last ones included
  };

  // `capacity` in steps; the oldest episodes are dropped beyond it.
  explicit ReplayBuffer(int64_t capacity, WindowStart windows = WindowStart::kUniform);

  void Add(Episode episode);

  // Picks an episode uniformly, then a window of exactly `length` steps inside it (episodes
  // shorter than `length` are skipped; the start as `windows` says). Returns tensors
  // [batch, length, ...].
  Batch Sample(int64_t batch, int64_t length, std::mt19937_64& rng) const;

  int64_t Episodes() const { return static_cast<int64_t>(episodes_.size()); }
  int64_t Steps() const { return steps_; }
  const std::vector<Episode>& episodes() const { return episodes_; }

 private:
  int64_t capacity_;
  WindowStart windows_;
  int64_t steps_ = 0;
  std::vector<Episode> episodes_;
};

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DATA_REPLAY_H_
