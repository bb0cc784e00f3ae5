#include "plugins/common/policy.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace imitate::plugins {

namespace {
constexpr double kLogSqrtTwoPi = 0.91893853320467274178;   // log(sqrt(2 pi))
constexpr double kLogSqrtTwoPiE = 1.41893853320467274178;  // log(sqrt(2 pi e))
constexpr double kLogTwo = 0.69314718055994530942;         // log(2)
constexpr double kSqrtTwo = 1.41421356237309504880;
constexpr double kMinMass = 1e-8;  // floor of the truncated normal's mass in [-1, 1]
// inverse-CDF probabilities stay this far from 0 and 1: float32 rounds 1 - 1e-8 to 1, where
// erfinv is infinite (and the straight-through clip would turn inf into NaN)
constexpr double kMinProbability = 1e-6;

// standard normal CDF and density
torch::Tensor NormalCdf(const torch::Tensor& x) { return 0.5 * (1.0 + torch::erf(x / kSqrtTwo)); }
torch::Tensor NormalPdf(const torch::Tensor& x) {
  return torch::exp(-0.5 * x.square() - kLogSqrtTwoPi);
}

// the truncated normal's standardised bounds and its mass Z inside [-1, 1]
struct Truncation {
  torch::Tensor alpha, beta, cdf_alpha, mass;
};
Truncation Truncate(const torch::Tensor& mean, const torch::Tensor& std) {
  Truncation t;
  t.alpha = (-1.0 - mean) / std;
  t.beta = (1.0 - mean) / std;
  t.cdf_alpha = NormalCdf(t.alpha);
  t.mass = (NormalCdf(t.beta) - t.cdf_alpha).clamp_min(kMinMass);
  return t;
}
}  // namespace

ActionDistKind ParseActionDist(const std::string& name) {
  if (name == "tanh_normal") return ActionDistKind::kTanhNormal;
  if (name == "trunc_normal") return ActionDistKind::kTruncNormal;
  throw std::invalid_argument("unknown action distribution '" + name + "'");
}

// ----- distribution ----- //

torch::Tensor ActionDist::LogProb(const torch::Tensor& action) const {
  torch::Tensor a = action.clamp(-1.0 + kActionEpsilon, 1.0 - kActionEpsilon);
  if (kind == ActionDistKind::kTruncNormal) {
    torch::Tensor z = (a - mean) / std;
    torch::Tensor log_mass = Truncate(mean, std).mass.log();
    return (-0.5 * z.square() - std.log() - kLogSqrtTwoPi - log_mass).sum(-1);
  }
  // back to the Gaussian's space
  torch::Tensor u = torch::atanh(a);
  torch::Tensor z = (u - mean) / std;
  torch::Tensor log_normal = -0.5 * z.square() - std.log() - kLogSqrtTwoPi;
  // tanh Jacobian: log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u)), stable for large |u|
  torch::Tensor log_jacobian = 2.0 * (kLogTwo - u - torch::softplus(-2.0 * u));
  return (log_normal - log_jacobian).sum(-1);
}

torch::Tensor ActionDist::Mode() const {
  if (kind == ActionDistKind::kTruncNormal) return mean.clamp(-1.0, 1.0);
  return torch::tanh(mean);
}

torch::Tensor ActionDist::Sample(at::Generator& generator) const {
  if (kind == ActionDistKind::kTruncNormal) {
    // inverse CDF: p ~ U(Phi(alpha), Phi(beta)), a = mean + std * Phi^-1(p)
    torch::Tensor uniform =
        torch::rand(mean.sizes(), generator, torch::dtype(mean.scalar_type())).to(mean.device());
    Truncation t = Truncate(mean, std);
    torch::Tensor p =
        (t.cdf_alpha + uniform * t.mass).clamp(kMinProbability, 1.0 - kMinProbability);
    torch::Tensor sample = mean + std * (kSqrtTwo * torch::erfinv(2.0 * p - 1.0));
    // clip into the open interval with a straight-through gradient
    torch::Tensor clipped = sample.clamp(-1.0 + kActionEpsilon, 1.0 - kActionEpsilon);
    return sample + (clipped - sample).detach();
  }
  torch::Tensor noise = torch::randn(mean.sizes(), generator, torch::dtype(mean.scalar_type()));
  return torch::tanh(mean + std * noise.to(mean.device()));
}

torch::Tensor ActionDist::Entropy(const torch::Tensor& sample) const {
  if (kind == ActionDistKind::kTruncNormal) {
    // log(sqrt(2 pi e) std Z) + (alpha phi(alpha) - beta phi(beta)) / (2 Z)
    Truncation t = Truncate(mean, std);
    torch::Tensor edge = t.alpha * NormalPdf(t.alpha) - t.beta * NormalPdf(t.beta);
    return (kLogSqrtTwoPiE + std.log() + t.mass.log() + edge / (2.0 * t.mass)).sum(-1);
  }
  return -LogProb(sample);
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

ActionDist ActorImpl::forward(const torch::Tensor& features) {
  std::vector<torch::Tensor> raw = net_->forward(features).chunk(2, -1);
  ActionDist dist;
  dist.kind = config_.distribution;
  if (dist.kind == ActionDistKind::kTruncNormal) {
    dist.mean = torch::tanh(raw[0]);
  } else {
    const double scale = config_.mean_scale;
    dist.mean = scale * torch::tanh(raw[0] / scale);
  }
  dist.std = config_.min_std + (config_.max_std - config_.min_std) *
                                   torch::sigmoid(config_.std_slope * raw[1] + config_.std_shift);
  return dist;
}

}  // namespace imitate::plugins
