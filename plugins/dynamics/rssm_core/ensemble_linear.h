// K dense layers of the same shape stored as one batched weight, for ensemble heads.
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_ENSEMBLE_LINEAR_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_ENSEMBLE_LINEAR_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace imitate::plugins {

// Sizes of an EnsembleLinear.
struct EnsembleLinearConfig {
  int64_t members = 1;  // K
  int64_t input_size = 0;
  int64_t output_size = 0;
};

// K independent affine maps y_k = x W_k + b_k, with W [K, in, out] and b [K, out] so that all
// members run in one batched matmul. Each member starts like a torch::nn::Linear (uniform in
// +-1/sqrt(in) for weight and bias), drawn independently.
class EnsembleLinearImpl : public torch::nn::Module {
 public:
  explicit EnsembleLinearImpl(const EnsembleLinearConfig& config);

  // Every member on the same input: x [N, in] -> [K, N, out] (one baddbmm over a stride-0
  // expansion of x; nothing is copied).
  torch::Tensor All(const torch::Tensor& x);

  // Member k only: x [..., in] -> [..., out].
  torch::Tensor Member(const torch::Tensor& x, int64_t k);

  // Member k on x [..., in] given the member's weight [in, out] and bias [out] slices (e.g.
  // from one unbind of weight and bias, shared by several calls).
  static torch::Tensor Apply(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias);

  // Redraws every member with the default initialisation from LibTorch's global generator.
  void reset_parameters();

  const EnsembleLinearConfig& config() const { return config_; }

  torch::Tensor weight;  // [K, in, out]
  torch::Tensor bias;    // [K, out]

 private:
  EnsembleLinearConfig config_;
};
TORCH_MODULE(EnsembleLinear);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_ENSEMBLE_LINEAR_H_
