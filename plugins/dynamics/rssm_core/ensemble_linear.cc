#include "plugins/dynamics/rssm_core/ensemble_linear.h"

#include <torch/torch.h>

#include <cmath>

namespace imitate::plugins {

EnsembleLinearImpl::EnsembleLinearImpl(const EnsembleLinearConfig& config) : config_(config) {
  weight = register_parameter(
      "weight", torch::empty({config.members, config.input_size, config.output_size}));
  bias = register_parameter("bias", torch::empty({config.members, config.output_size}));
  reset_parameters();
}

void EnsembleLinearImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  double bound = 1.0 / std::sqrt(static_cast<double>(config_.input_size));
  weight.uniform_(-bound, bound);
  bias.uniform_(-bound, bound);
}

torch::Tensor EnsembleLinearImpl::All(const torch::Tensor& x) {
  // [K, N, in] view of x with batch stride 0, times W [K, in, out], plus b [K, 1, out]
  const int64_t k = config_.members;
  return torch::baddbmm(bias.unsqueeze(1), x.unsqueeze(0).expand({k, x.size(0), x.size(1)}),
                        weight);
}

torch::Tensor EnsembleLinearImpl::Member(const torch::Tensor& x, int64_t k) {
  return Apply(x, weight.select(0, k), bias.select(0, k));
}

torch::Tensor EnsembleLinearImpl::Apply(const torch::Tensor& x, const torch::Tensor& weight,
                                        const torch::Tensor& bias) {
  if (x.dim() == 2) return torch::addmm(bias, x, weight);
  // flatten the leading dims for one addmm
  std::vector<int64_t> shape = x.sizes().vec();
  torch::Tensor y = torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight);
  shape.back() = weight.size(1);
  return y.view(shape);
}

}  // namespace imitate::plugins
