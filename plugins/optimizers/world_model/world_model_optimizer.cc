#include "plugins/optimizers/world_model/world_model_optimizer.h"

#include <torch/torch.h>

namespace imitate::plugins {

ParamSpecs WorldModelOptimizer::Specs() {
  ParamSpecs specs;
  // CMIL's model optimiser (spec 2.2)
  AddModelSpecs(specs, OptimConfig{3e-4, 1e-5, 100.0, 1e-6});
  return specs;
}

std::unique_ptr<Optimizer> WorldModelOptimizer::Create(const Params& params) {
  return std::make_unique<WorldModelOptimizer>(params);
}

WorldModelOptimizer::WorldModelOptimizer(const Params& params)
    : LatentAgent("world_model", params) {}

void WorldModelOptimizer::BuildAgent(const AgentComponents& /*components*/) {}

Metrics WorldModelOptimizer::Update(Phase /*phase*/, const Batch& replay, const Batch& /*expert*/) {
  CheckBuilt("Update");
  Metrics metrics;
  model_->Train(model_->ToDevice(replay), metrics);
  return metrics;
}

torch::Tensor WorldModelOptimizer::ChooseAction(const torch::Tensor& features, ActMode /*mode*/) {
  torch::Tensor uniform = torch::rand({features.size(0), action_size_}, generator_);
  return (uniform * 2.0 - 1.0).to(device_);
}

void WorldModelOptimizer::SaveAgent(torch::serialize::OutputArchive& /*archive*/) {}
void WorldModelOptimizer::LoadAgent(torch::serialize::InputArchive& /*archive*/) {}

}  // namespace imitate::plugins
