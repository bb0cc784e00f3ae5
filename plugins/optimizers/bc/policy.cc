#include "plugins/optimizers/bc/policy.h"

#include <torch/torch.h>

#include <stdexcept>

namespace imitate::plugins {

namespace {
constexpr double kLogSqrtTwoPi = 0.91893853320467274178;  // log(sqrt(2 pi))
constexpr double kLogTwo = 0.69314718055994530942;        // log(2)
}  // namespace

// ----- distribution ----- //

torch::Tensor TanhNormal::LogProb(const torch::Tensor& action) const {
  // back to the Gaussian's space
  torch::Tensor a = action.clamp(-1.0 + kActionEpsilon, 1.0 - kActionEpsilon);
  torch::Tensor u = torch::atanh(a);
  // Gaussian log density
  torch::Tensor z = (u - mean) / std;
  torch::Tensor log_normal = -0.5 * z.square() - std.log() - kLogSqrtTwoPi;
  // tanh Jacobian: log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u)), stable for large |u|
  torch::Tensor log_jacobian = 2.0 * (kLogTwo - u - torch::softplus(-2.0 * u));
  return (log_normal - log_jacobian).sum(-1);
}

torch::Tensor TanhNormal::Mode() const { return torch::tanh(mean); }

torch::Tensor TanhNormal::Sample(at::Generator& generator) const {
  torch::Tensor noise = torch::randn(mean.sizes(), generator, torch::dtype(mean.scalar_type()));
  return torch::tanh(mean + std * noise.to(mean.device()));
}

// ----- network ----- //

ActorImpl::ActorImpl(const ActorConfig& config) : config_(config) {
  if (config.action_size < 1) throw std::invalid_argument("actor: action_size must be >= 1");
  if (!(config.min_std > 0 && config.min_std <= config.max_std)) {
    throw std::invalid_argument("actor: needs 0 < min_std <= max_std");
  }
  // one MLP whose output holds the raw mean and the raw std
  net_ =
      register_module("net", Mlp(MlpConfig{config.input_size, config.hidden, 2 * config.action_size,
                                           config.activation, config.layer_norm}));
}

TanhNormal ActorImpl::forward(const torch::Tensor& features) {
  std::vector<torch::Tensor> raw = net_->forward(features).chunk(2, -1);
  const double scale = config_.mean_scale;
  torch::Tensor mean = scale * torch::tanh(raw[0] / scale);
  // +2 starts the std near the top of its range, so early behaviour explores
  torch::Tensor std =
      config_.min_std + (config_.max_std - config_.min_std) * torch::sigmoid(raw[1] + 2.0);
  return {mean, std};
}

}  // namespace imitate::plugins
