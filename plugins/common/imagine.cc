#include "plugins/common/imagine.h"

#include <torch/torch.h>

#include <vector>

namespace imitate::plugins {

Imagined Imagine(Dynamics& dynamics, Actor& actor, const LatentState& start, int64_t horizon,
                 bool with_uncertainty, at::Generator& generator) {
  auto* ensemble = dynamic_cast<EnsembleDynamics*>(&dynamics);
  const int64_t steps = horizon + 1;
  std::vector<torch::Tensor> features, actions, entropy, uncertainty;
  features.reserve(steps);
  actions.reserve(steps);
  entropy.reserve(steps);
  uncertainty.reserve(steps);
  LatentState state = start;
  for (int64_t i = 0; i < steps; ++i) {
    // the policy at state i
    torch::Tensor feature = dynamics.Features(state);
    ActionDist policy = actor->forward(feature.detach());
    torch::Tensor action = policy.Sample(generator);
    features.push_back(feature);
    actions.push_back(action);
    entropy.push_back(policy.Entropy(action));
    if (with_uncertainty) {
      uncertainty.push_back(i == 0 ? torch::zeros({feature.size(0)}, feature.options())
                                   : state.uncertainty);
    }
    if (i == horizon) break;
    // the next state
    if (with_uncertainty || ensemble == nullptr) {
      state = dynamics.ImagineStep(state, action);
    } else {
      const int64_t member = torch::randint(ensemble->Members(), {1}, torch::kLong).item<int64_t>();
      state = ensemble->ImagineStepMember(state, action, member);
    }
  }
  Imagined out;
  out.features = torch::stack(features);
  out.actions = torch::stack(actions);
  out.entropy = torch::stack(entropy);
  if (with_uncertainty) out.uncertainty = torch::stack(uncertainty);
  return out;
}

torch::Tensor LambdaReturn(const torch::Tensor& reward, const torch::Tensor& value,
                           const torch::Tensor& bootstrap, double discount, double lambda) {
  const int64_t length = reward.size(0);
  std::vector<torch::Tensor> returns(length);
  torch::Tensor next_return = bootstrap;
  for (int64_t i = length - 1; i >= 0; --i) {
    torch::Tensor next_value = i + 1 < length ? value[i + 1] : bootstrap;
    next_return = reward[i] + discount * ((1.0 - lambda) * next_value + lambda * next_return);
    returns[i] = next_return;
  }
  return torch::stack(returns);
}

torch::Tensor DiscountWeights(int64_t length, double discount,
                              const torch::TensorOptions& options) {
  return torch::pow(torch::full({length, 1}, discount, options),
                    torch::arange(length, options).unsqueeze(1));
}

LatentState FlattenTime(const LatentState& state) {
  auto flat = [](const torch::Tensor& t) { return t.defined() ? t.flatten(0, 1) : t; };
  return {flat(state.deter), flat(state.stoch), flat(state.mean), flat(state.std),
          flat(state.uncertainty)};
}

}  // namespace imitate::plugins
