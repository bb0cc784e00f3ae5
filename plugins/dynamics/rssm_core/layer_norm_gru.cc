#include "plugins/dynamics/rssm_core/layer_norm_gru.h"

#include <torch/torch.h>

#include <vector>

namespace imitate::plugins {

LayerNormGruCellImpl::LayerNormGruCellImpl(const LayerNormGruConfig& config) : config_(config) {
  // one projection of [x, h] to the three gates, normalised over all 3D outputs
  linear = register_module("linear", torch::nn::Linear(torch::nn::LinearOptions(
                                         config.input_size + config.size, 3 * config.size)));
  norm = register_module(
      "norm", torch::nn::LayerNorm(
                  torch::nn::LayerNormOptions({3 * config.size}).eps(config.layer_norm_eps)));
}

torch::Tensor LayerNormGruCellImpl::forward(const torch::Tensor& x, const torch::Tensor& h) {
  // gates from [x, h]
  torch::Tensor parts = norm->forward(linear->forward(torch::cat({x, h}, -1)));
  std::vector<torch::Tensor> gates = parts.chunk(3, -1);
  torch::Tensor reset = torch::sigmoid(gates[0]);
  torch::Tensor cand = torch::tanh(reset * gates[1]);
  torch::Tensor update = torch::sigmoid(gates[2] + config_.update_bias);
  // h' = h + update * (cand - h)
  return torch::addcmul(h, update, cand - h);
}

}  // namespace imitate::plugins
