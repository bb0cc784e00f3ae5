// The tanh-Gaussian actor: latent features -> a distribution over actions in (-1, 1).
#ifndef IMITATE_PLUGINS_OPTIMIZERS_BC_POLICY_H_
#define IMITATE_PLUGINS_OPTIMIZERS_BC_POLICY_H_

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/encoders/mlp/mlp.h"

namespace imitate::plugins {

// Actions are clamped into (-1 + kActionEpsilon, 1 - kActionEpsilon) before atanh.
inline constexpr double kActionEpsilon = 1e-6;

// A Gaussian over pre-tanh actions u, squashed: a = tanh(u). Every method works on [..., A].
struct TanhNormal {
  torch::Tensor mean;  // [..., A] mean of u
  torch::Tensor std;   // [..., A] standard deviation of u

  // log p(a) summed over the action dim -> [...]. Actions are clamped into the open interval,
  // mapped back with atanh, and the tanh Jacobian log(1 - a^2) is subtracted.
  torch::Tensor LogProb(const torch::Tensor& action) const;

  // tanh(mean): the action the policy is evaluated with (the squashed Gaussian's median).
  torch::Tensor Mode() const;

  // A reparameterised sample tanh(mean + std * noise), noise ~ N(0, 1) drawn on the CPU from
  // `generator` (so that runs are reproducible on any device) and moved to mean's device.
  torch::Tensor Sample(at::Generator& generator) const;
};

// Sizes and std bounds of an Actor.
struct ActorConfig {
  int64_t input_size = 0;   // features (e.g. an encoder embedding)
  int64_t action_size = 0;  // A
  std::vector<int64_t> hidden = {256, 256};
  std::string activation = "elu";
  bool layer_norm = false;
  double min_std = 0.05;  // std = min + (max - min) * sigmoid(raw + 2)
  double max_std = 1.0;
  double mean_scale = 5.0;  // mean = scale * tanh(raw / scale), keeping atanh targets in reach
};

// The policy network.
//
//   features [..., F] --> MLP (hidden) --> LINEAR [..., 2A] --split--> raw mean, raw std
//   raw mean --> scale * tanh(. / scale) --> mean;  raw std --> bounded sigmoid --> std
//   {mean, std} --> TanhNormal (a = tanh(u), u ~ N(mean, std))
class ActorImpl : public torch::nn::Module {
 public:
  explicit ActorImpl(const ActorConfig& config);

  // features [..., F] -> the action distribution over [..., A].
  TanhNormal forward(const torch::Tensor& features);

  // Redraws the initial weights from `generator` (see MlpImpl::ResetParameters).
  void ResetParameters(at::Generator& generator) { net_->ResetParameters(generator); }

  const ActorConfig& config() const { return config_; }

 private:
  ActorConfig config_;
  Mlp net_{nullptr};
};
TORCH_MODULE(Actor);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_OPTIMIZERS_BC_POLICY_H_
