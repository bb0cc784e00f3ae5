// Extension point: the policy optimizer (the algorithm: bc, vmail, cmil).
#ifndef IMITATE_SDK_OPTIMIZER_H_
#define IMITATE_SDK_OPTIMIZER_H_

#include <torch/types.h>

#include <cstdint>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/plugin.h"
#include "imitate/sdk/reward_learner.h"
#include "imitate/sdk/spaces.h"

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace imitate {

// A batch of sequence windows [B, T, ...] from a replay buffer. Dreamer convention: action[t]
// led to observation[t]; at an episode start action is zero and is_first is true. The action
// taken *from* observation t is therefore action[t + 1].
struct IMITATE_EXPORT Batch {
  TensorMap observation;      // storage dtype: `pixels` uint8 [B, T, H, W, 3], `state` float32
  torch::Tensor action;       // float32 [B, T, A]
  torch::Tensor reward;       // float32 [B, T]: the task's reward, for logging only
  torch::Tensor is_first;     // bool [B, T]
  torch::Tensor is_last;      // bool [B, T]
  torch::Tensor is_terminal;  // bool [B, T]
};

// The training phases of a run, in order (see the run schedule).
enum class Phase {
  kPretrain,         // offline: full updates on the demos (replay = demos only)
  kBehaviorCloning,  // offline: the method's BC warm-up
  kOnline,           // online fine-tuning (replay = demos + the agent's own data)
};

// How Act chooses: exploring while collecting data, or as evaluated.
enum class ActMode { kExplore, kEvaluate };

// The components an optimizer builds on; absent ones are null.
struct IMITATE_EXPORT AgentComponents {
  ObservationSpace observation_space;
  Space action_space;
  Encoder* encoder = nullptr;
  Dynamics* dynamics = nullptr;
  RewardLearner* reward = nullptr;
  torch::Device device = torch::kCPU;
  uint64_t seed = 0;
};

// Owns the actor (and critics), trains them and the components, and acts.
class IMITATE_EXPORT Optimizer : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kOptimizer;
  ~Optimizer() override;

  // Builds the networks and their optimisers. The components are already built and outlive
  // this optimizer; the optimizer trains their parameters as its method requires.
  virtual void Build(const AgentComponents& components) = 0;

  // One gradient update in `phase` from a replay batch and an expert (demo-only) batch
  // (both on the CPU; the optimizer moves what it uses to its device).
  // Returns scalar metrics for the logs (losses, entropies, ...).
  virtual Metrics Update(Phase phase, const Batch& replay, const Batch& expert) = 0;

  // The policy's recurrent carry for `batch_size` parallel episodes (opaque to the engine).
  virtual TensorMap InitialCarry(int64_t batch_size) = 0;

  // Chooses actions [B, A] for observations [B, ...] (storage dtype, on the CPU) with
  // is_first [B]; updates `carry`. Runs without gradients; returns float32 on the CPU.
  virtual torch::Tensor Act(const TensorMap& observation, const torch::Tensor& is_first,
                            TensorMap& carry, ActMode mode) = 0;

  // Saves and restores the optimizer's own networks and optimiser states (the components
  // are saved by the engine).
  virtual void Save(torch::serialize::OutputArchive& archive) = 0;
  virtual void Load(torch::serialize::InputArchive& archive) = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_OPTIMIZER_H_
