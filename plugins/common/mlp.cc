#include "plugins/common/mlp.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/normalization.h>
#include <torch/utils.h>

#include <cmath>
#include <stdexcept>

namespace imitate::plugins {

namespace {

// appends the named activation to `layers`
void AddActivation(torch::nn::Sequential& layers, const std::string& name) {
  if (name == "elu") {
    layers->push_back(torch::nn::ELU());
  } else if (name == "relu") {
    layers->push_back(torch::nn::ReLU());
  } else if (name == "tanh") {
    layers->push_back(torch::nn::Tanh());
  } else {
    throw std::invalid_argument("mlp: unknown activation '" + name + "'");
  }
}

}  // namespace

MlpImpl::MlpImpl(const MlpConfig& config) : config_(config) {
  if (config.input_size < 1) throw std::invalid_argument("mlp: input_size must be >= 1");
  if (config.hidden.empty() && config.output_size < 1) {
    throw std::invalid_argument("mlp: needs a hidden layer or an output layer");
  }
  // hidden layers: linear, optional layer norm, activation
  int64_t size = config.input_size;
  for (int64_t units : config.hidden) {
    linears_.emplace_back(torch::nn::LinearOptions(size, units));
    layers_->push_back(linears_.back());
    if (config.layer_norm) {
      layers_->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({units})));
    }
    AddActivation(layers_, config.activation);
    size = units;
  }
  // output layer: linear, no activation
  if (config.output_size > 0) {
    linears_.emplace_back(torch::nn::LinearOptions(size, config.output_size));
    layers_->push_back(linears_.back());
    size = config.output_size;
  }
  output_size_ = size;
  register_module("layers", layers_);
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) { return layers_->forward(x); }

torch::Device MlpImpl::device() const { return linears_.front()->weight.device(); }

void MlpImpl::ResetParameters(at::Generator& generator) {
  torch::NoGradGuard no_grad;
  for (auto& linear : linears_) {
    // same bounds as torch::nn::Linear::reset_parameters, drawn from `generator`
    double bound = 1.0 / std::sqrt(static_cast<double>(linear->weight.size(1)));
    linear->weight.uniform_(-bound, bound, generator);
    linear->bias.uniform_(-bound, bound, generator);
  }
}

}  // namespace imitate::plugins
