// Episodes as the engine stores them, in the Dreamer convention.
#ifndef IMITATE_ENGINE_DATA_EPISODE_H_
#define IMITATE_ENGINE_DATA_EPISODE_H_

#include <torch/types.h>

#include <cstdint>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/spaces.h"

namespace imitate::engine {

// One episode of L = T + 1 steps (the reset observation plus T steps). action[t] is the
// action that led to observation t (action[0] is zero); images stay uint8.
struct Episode {
  TensorMap observation;      // each [L, ...] in storage dtype
  torch::Tensor action;       // float32 [L, A]
  torch::Tensor reward;       // float32 [L]
  torch::Tensor is_first;     // bool [L]
  torch::Tensor is_last;      // bool [L]
  torch::Tensor is_terminal;  // bool [L]
  Metrics metrics;            // the environment's metrics at the last step

  int64_t Length() const { return action.defined() ? action.size(0) : 0; }
};

// Accumulates TimeSteps into an Episode, growing preallocated buffers (amortised, no
// allocation per step once capacity is reached).
class EpisodeBuilder {
 public:
  EpisodeBuilder(const ObservationSpace& space, int64_t action_size, int64_t capacity);

  // Starts over with the reset step (action zero).
  void Begin(const TimeStep& first);

  // Appends the step that `action` led to.
  void Append(const torch::Tensor& action, const TimeStep& step);

  // The episode so far (copies trimmed to its length).
  Episode Finish() const;

  int64_t Length() const { return length_; }

 private:
  void Grow();
  void Write(const torch::Tensor& action, const TimeStep& step);

  ObservationSpace space_;
  int64_t action_size_;
  int64_t length_ = 0;
  Episode buffer_;
};

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DATA_EPISODE_H_
