// The agent of a run: the components an experiment names, built and wired together.
#ifndef IMITATE_ENGINE_RUN_AGENT_H_
#define IMITATE_ENGINE_RUN_AGENT_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "engine/config/experiment.h"
#include "engine/data/episode.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/reward_learner.h"

namespace imitate::engine {

// Owns the components; the optimizer (declared last, destroyed first) points into them.
struct Agent {
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Dynamics> dynamics;     // may be null
  std::unique_ptr<RewardLearner> reward;  // may be null
  std::unique_ptr<Optimizer> optimizer;
};

// Creates and builds the experiment's components for an environment with these spaces:
// the decoder is sized for the dynamics' features (when there is a dynamics model), the
// reward learner for features (or embeddings without dynamics), then the optimizer.
// Per-key mean and std (population) over every step of `episodes`, for each float32 vector key
// `keys` names (other keys are skipped): what Encoder::SetDataStatistics takes.
std::pair<TensorMap, TensorMap> ObservationStatistics(const std::vector<Episode>& episodes,
                                                      const std::vector<std::string>& keys);

Agent BuildAgent(const Experiment& experiment, const Registry& registry,
                 const ObservationSpace& observation_space, const Space& action_space,
                 torch::Device device, uint64_t seed);

// "cpu" / "cuda" / "cuda:1" -> a device; throws ConfigError when CUDA is asked for but absent.
torch::Device ParseDevice(const std::string& text);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_AGENT_H_
