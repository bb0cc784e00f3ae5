// The layer-normalised GRU cell of DreamerV2 (used by CMIL's ensemble RSSM).
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_LAYER_NORM_GRU_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_LAYER_NORM_GRU_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace imitate::plugins {

// Sizes of a LayerNormGruCell.
struct LayerNormGruConfig {
  int64_t input_size = 0;
  int64_t size = 0;              // D, the state size
  double update_bias = -1.0;     // added to the update gate's pre-activation
  double layer_norm_eps = 1e-3;  // Keras LayerNormalization's default
};

// One Linear over [x, h], layer-normalised, split into three gates:
//
//   [x, h] --> LINEAR [.., 3D] --> LAYER NORM --split--> reset, cand, update
//   reset = sigmoid(reset);  cand = tanh(reset * cand);  update = sigmoid(update + update_bias)
//   h' = update * cand + (1 - update) * h
class LayerNormGruCellImpl : public torch::nn::Module {
 public:
  explicit LayerNormGruCellImpl(const LayerNormGruConfig& config);

  // x [N, input_size], h [N, D] -> h' [N, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& h);

  const LayerNormGruConfig& config() const { return config_; }

  torch::nn::Linear linear{nullptr};
  torch::nn::LayerNorm norm{nullptr};

 private:
  LayerNormGruConfig config_;
};
TORCH_MODULE(LayerNormGruCell);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_LAYER_NORM_GRU_H_
