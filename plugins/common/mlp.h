// A reusable multi-layer perceptron block for the first-party plugins.
#ifndef IMITATE_PLUGINS_COMMON_MLP_H_
#define IMITATE_PLUGINS_COMMON_MLP_H_

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace imitate::plugins {

// The activations an Mlp can use, by the names TOML writes.
inline const std::vector<std::string>& MlpActivationNames() {
  static const std::vector<std::string> names = {"elu", "relu", "tanh"};
  return names;
}

// Sizes and options of one Mlp.
struct MlpConfig {
  int64_t input_size = 0;
  std::vector<int64_t> hidden;     // units of each hidden layer (may be empty)
  int64_t output_size = 0;         // > 0: a final linear layer; 0: the last hidden layer is out
  std::string activation = "elu";  // elu, relu or tanh
  bool layer_norm = false;         // normalise each hidden layer before its activation
};

// A stack of dense layers applied to the last dim; any number of leading dims pass through.
//
//   x [..., in] --> (LINEAR --> [LAYER NORM] --> ACT) x len(hidden) --> [LINEAR] --> [..., out]
//
// The output layer has no activation, so heads (means, logits, reconstructions) can sit on it.
// With output_size 0 the last hidden layer (after its activation) is the output.
class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const MlpConfig& config);

  // Applies the stack to x [..., input_size] -> [..., OutputSize()].
  torch::Tensor forward(const torch::Tensor& x);

  // Size of the last dim of forward's result.
  int64_t OutputSize() const { return output_size_; }

  // The device the parameters live on.
  torch::Device device() const;

  // Redraws every linear layer from `generator` with LibTorch's default initialisation
  // (uniform in +-1/sqrt(fan_in)), so that a network's start depends on a private seed only.
  void ResetParameters(at::Generator& generator);

  const MlpConfig& config() const { return config_; }

 private:
  MlpConfig config_;
  int64_t output_size_ = 0;
  torch::nn::Sequential layers_;
  std::vector<torch::nn::Linear> linears_;
};
TORCH_MODULE(Mlp);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_MLP_H_
