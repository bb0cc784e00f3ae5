#include "plugins/encoders/conv/conv_nets.h"

#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pixelshuffle.h>
#include <torch/torch.h>

#include <stdexcept>

namespace imitate::plugins {

namespace F = torch::nn::functional;

namespace {

constexpr int64_t kEncoderKernel = 4;
constexpr int64_t kStride = 2;
constexpr int64_t kDecoderKernels[] = {5, 5, 6, 6};

// the activation named `name`, applied elementwise
using Activation = torch::Tensor (*)(const torch::Tensor&);
Activation ActivationNamed(const std::string& name) {
  if (name == "elu") return [](const torch::Tensor& x) { return torch::elu(x); };
  if (name == "relu") return [](const torch::Tensor& x) { return torch::relu(x); };
  if (name == "tanh") return [](const torch::Tensor& x) { return torch::tanh(x); };
  throw std::invalid_argument("conv: unknown activation '" + name + "'");
}

}  // namespace

const std::vector<std::string>& ConvActivationNames() {
  static const std::vector<std::string> names = {"elu", "relu", "tanh"};
  return names;
}

int64_t PixelEncoderOutputSide(int64_t size, int64_t layers) {
  for (int64_t i = 0; i < layers; ++i) {
    if (size < kEncoderKernel) return 0;
    size = (size - kEncoderKernel) / kStride + 1;
  }
  return size;
}

torch::Tensor SubPixelConvTranspose2d(const torch::Tensor& x, const torch::Tensor& weight,
                                      const torch::Tensor& bias) {
  const int64_t c_in = weight.size(0), c_out = weight.size(1), k = weight.size(2);
  if (weight.size(3) != k) throw std::invalid_argument("conv: square kernels only");
  const int64_t out_h = (x.size(2) - 1) * kStride + k, out_w = (x.size(3) - 1) * kStride + k;
  // a 1x1 input: output pixel (i, j) is x times the weight tap (i, j), one matrix product
  if (x.size(2) == 1 && x.size(3) == 1) {
    torch::Tensor w = weight.reshape({c_in, c_out * k * k});
    torch::Tensor y = bias.defined() ? torch::addmm(bias.repeat_interleave(k * k), x.flatten(1), w)
                                     : torch::mm(x.flatten(1), w);
    return y.view({x.size(0), c_out, k, k});
  }
  // output row 2m + p sums x[m - a] * w[2a + p] over a: per phase p a regular conv with the
  // reversed taps p, p + 2, ... (kernel padded with zeros to an even size)
  const int64_t taps = (k + 1) / 2;
  torch::Tensor w = weight;
  if (2 * taps != k) w = F::pad(w, F::PadFuncOptions({0, 1, 0, 1}));
  // [C_in, C_out, a, p, a', p'] -> [C_out, p, p', C_in, taps reversed, taps reversed]
  torch::Tensor phases = w.view({c_in, c_out, taps, kStride, taps, kStride})
                             .flip({2, 4})
                             .permute({1, 3, 5, 0, 2, 4})
                             .reshape({c_out * kStride * kStride, c_in, taps, taps});
  auto options = F::Conv2dFuncOptions().padding(taps - 1);
  if (bias.defined()) options.bias(bias.repeat_interleave(kStride * kStride));
  // [N, 4 C_out, H + taps - 1, ..] --interleave phases--> [N, C_out, 2 (H + taps - 1), ..]
  torch::Tensor y = F::pixel_shuffle(F::conv2d(x, phases, options), kStride);
  return y.narrow(2, 0, out_h).narrow(3, 0, out_w);
}

// ----- encoder ----- //

PixelEncoderImpl::PixelEncoderImpl(const PixelEncoderConfig& config) {
  const int64_t out_h = PixelEncoderOutputSide(config.height);
  const int64_t out_w = PixelEncoderOutputSide(config.width);
  if (out_h < 1 || out_w < 1) throw std::invalid_argument("conv: image too small");
  // conv (kernel 4, stride 2, valid) + activation, depths d, 2d, 4d, 8d
  Activation act = ActivationNamed(config.activation);
  int64_t channels = config.channels;
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t out = config.depth << i;
    layers_->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, kEncoderKernel).stride(kStride)));
    layers_->push_back(torch::nn::Functional(act));
    channels = out;
  }
  output_size_ = channels * out_h * out_w;
  register_module("layers", layers_);
}

torch::Tensor PixelEncoderImpl::forward(const torch::Tensor& x) {
  return layers_->forward(x).flatten(1);
}

// ----- decoder ----- //

PixelDecoderImpl::PixelDecoderImpl(const PixelDecoderConfig& config)
    : fast_(config.fast), activation_(config.activation), depth_(config.depth) {
  ActivationNamed(config.activation);  // validates the name
  // dense to 32d units, then transposed convs 4d (k5), 2d (k5), d (k6), C (k6)
  dense_ = register_module("dense", torch::nn::Linear(config.input_size, 32 * config.depth));
  const int64_t channels[] = {32 * config.depth, 4 * config.depth, 2 * config.depth, config.depth,
                              config.channels};
  for (int64_t i = 0; i < 4; ++i) {
    deconvs_.push_back(register_module(
        "deconv" + std::to_string(i),
        torch::nn::ConvTranspose2d(
            torch::nn::ConvTranspose2dOptions(channels[i], channels[i + 1], kDecoderKernels[i])
                .stride(kStride))));
  }
}

torch::Tensor PixelDecoderImpl::forward(const torch::Tensor& features) {
  Activation act = ActivationNamed(activation_);
  torch::Tensor x = dense_->forward(features).view({features.size(0), 32 * depth_, 1, 1});
  for (size_t i = 0; i < deconvs_.size(); ++i) {
    auto& deconv = deconvs_[i];
    x = fast_ ? SubPixelConvTranspose2d(x, deconv->weight, deconv->bias) : deconv->forward(x);
    if (i + 1 < deconvs_.size()) x = act(x);
  }
  return x;
}

// ----- both ----- //

ConvAutoencoderImpl::ConvAutoencoderImpl(const PixelEncoderConfig& encoder_config,
                                         const PixelDecoderConfig& decoder_config) {
  encoder = register_module("encoder", PixelEncoder(encoder_config));
  if (decoder_config.input_size > 0) {
    decoder = register_module("decoder", PixelDecoder(decoder_config));
  }
}

}  // namespace imitate::plugins
