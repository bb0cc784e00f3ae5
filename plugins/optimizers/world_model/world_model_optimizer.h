// The `world_model` optimizer: trains only the world model, so it can be studied alone.
#ifndef IMITATE_PLUGINS_OPTIMIZERS_WORLD_MODEL_WORLD_MODEL_OPTIMIZER_H_
#define IMITATE_PLUGINS_OPTIMIZERS_WORLD_MODEL_WORLD_MODEL_OPTIMIZER_H_

#include <memory>

#include "plugins/common/latent_agent.h"

namespace imitate::plugins {

// Every phase runs one world-model step on the replay batch (the demos while offline). Acting
// filters observations through the posterior (so the filter is exercised) and returns uniform
// random actions: seeding and online steps collect random-action data, whose states the
// ensemble disagreement diagnostic compares with the demos'.
class WorldModelOptimizer final : public LatentAgent {
 public:
  static ParamSpecs Specs();
  static std::unique_ptr<Optimizer> Create(const Params& params);
  explicit WorldModelOptimizer(const Params& params);

  Metrics Update(Phase phase, const Batch& replay, const Batch& expert) override;

 protected:
  void BuildAgent(const AgentComponents& components) override;
  torch::Tensor ChooseAction(const torch::Tensor& features, ActMode mode) override;
  void SaveAgent(torch::serialize::OutputArchive& archive) override;
  void LoadAgent(torch::serialize::InputArchive& archive) override;
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_OPTIMIZERS_WORLD_MODEL_WORLD_MODEL_OPTIMIZER_H_
