// Policy heads: latent features -> a distribution over actions in [-1, 1].
#ifndef IMITATE_PLUGINS_COMMON_POLICY_H_
#define IMITATE_PLUGINS_COMMON_POLICY_H_

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/common/mlp.h"

namespace imitate::plugins {

// Actions are clamped into (-1 + kActionEpsilon, 1 - kActionEpsilon) before atanh, and
// truncated-normal samples are clipped to the same interval.
inline constexpr double kActionEpsilon = 1e-6;

// The two action distributions, by the names TOML writes.
enum class ActionDistKind { kTanhNormal, kTruncNormal };
inline const std::vector<std::string>& ActionDistNames() {
  static const std::vector<std::string> names = {"tanh_normal", "trunc_normal"};
  return names;
}
ActionDistKind ParseActionDist(const std::string& name);

// A distribution over actions in [-1, 1]^A. Every method works on [..., A] and sums over A.
//  - tanh_normal: u ~ N(mean, std), a = tanh(u) (Dreamer v1, V-MAIL, SAC)
//  - trunc_normal: a ~ N(mean, std) truncated to [-1, 1] (DreamerV2, CMIL)
struct ActionDist {
  ActionDistKind kind = ActionDistKind::kTanhNormal;
  torch::Tensor mean;  // [..., A] (pre-tanh for tanh_normal)
  torch::Tensor std;   // [..., A]

  // log p(a) -> [...]; actions are clamped into the open interval first.
  torch::Tensor LogProb(const torch::Tensor& action) const;

  // The action the policy is evaluated with: tanh(mean) (the median), or the mean (the mode).
  torch::Tensor Mode() const;

  // A reparameterised sample (gradients reach mean and std); the noise is drawn on the CPU from
  // `generator` (reproducible on any device) and moved to mean's device. Truncated-normal
  // samples use the inverse CDF and are clipped to +-(1 - kActionEpsilon) straight-through.
  torch::Tensor Sample(at::Generator& generator) const;

  // Entropy -> [...]: closed form for trunc_normal; for tanh_normal the one-sample estimate
  // -log p(sample), with `sample` one drawn from this distribution.
  torch::Tensor Entropy(const torch::Tensor& sample) const;
};

// Sizes and std bounds of an Actor.
struct ActorConfig {
  int64_t input_size = 0;   // features (e.g. an encoder embedding)
  int64_t action_size = 0;  // A
  std::vector<int64_t> hidden = {256, 256};
  std::string activation = "elu";
  bool layer_norm = false;
  ActionDistKind distribution = ActionDistKind::kTanhNormal;
  // std = min_std + (max_std - min_std) * sigmoid(std_slope * raw + std_shift). CMIL's
  // 2 * sigmoid(raw / 2) + 0.1 is min 0.1, max 2.1, slope 0.5, shift 0.
  double min_std = 0.05;
  double max_std = 1.0;
  double std_slope = 1.0;
  double std_shift = 2.0;   // > 0 starts the std near the top of its range
  double mean_scale = 5.0;  // tanh_normal: mean = scale * tanh(raw / scale); trunc: tanh(raw)
};

// The policy network.
//
//   features [..., F] --> MLP (hidden) --> LINEAR [..., 2A] --split--> raw mean, raw std
//   raw mean --> bounded mean;  raw std --> bounded sigmoid --> std
//   {mean, std} --> ActionDist
class ActorImpl : public torch::nn::Module {
 public:
  explicit ActorImpl(const ActorConfig& config);

  // features [..., F] -> the action distribution over [..., A].
  ActionDist forward(const torch::Tensor& features);

  // Redraws the initial weights from `generator` (see MlpImpl::ResetParameters).
  void ResetParameters(at::Generator& generator) { net_->ResetParameters(generator); }

  const ActorConfig& config() const { return config_; }

 private:
  ActorConfig config_;
  Mlp net_{nullptr};
};
TORCH_MODULE(Actor);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_POLICY_H_
