// The networks of the `conv` encoder: the paper's pixel encoder and transposed-conv decoder.
#ifndef IMITATE_PLUGINS_ENCODERS_CONV_CONV_NETS_H_
#define IMITATE_PLUGINS_ENCODERS_CONV_CONV_NETS_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace imitate::plugins {

// The activations the conv networks can use, by the names TOML writes.
const std::vector<std::string>& ConvActivationNames();

// Side of a 'valid' conv stack's output (kernel 4, stride 2, `layers` times) for an input side
// `size`, or 0 when the input is too small for the stack.
int64_t PixelEncoderOutputSide(int64_t size, int64_t layers = 4);

// The same maths as conv_transpose2d(x, weight, bias, stride 2, no padding) for NCHW `x` and a
// square `weight` [C_in, C_out, k, k], through faster kernels: a 1x1 input is one matrix
// product, a larger one a sub-pixel convolution (the four output phases of the stride-2
// transposed conv as one regular conv with 4 * C_out channels, interleaved by pixel_shuffle).
torch::Tensor SubPixelConvTranspose2d(const torch::Tensor& x, const torch::Tensor& weight,
                                      const torch::Tensor& bias);

// Sizes and options of a PixelEncoder.
struct PixelEncoderConfig {
  int64_t channels = 3;  // input channels (3 per encoded image key)
  int64_t height = 64;
  int64_t width = 64;
  int64_t depth = 48;  // channels of the first conv; the others are 2x, 4x, 8x
  std::string activation = "elu";
};

// The paper's image encoder: four 'valid' convs, kernel 4, stride 2, each with an activation.
//
//   x [N, C, 64, 64] --> CONV d --> ACT --> CONV 2d --> ACT --> CONV 4d --> ACT
//                    --> CONV 8d --> ACT --> [N, 8d, 2, 2] --flatten--> [N, 32d]
class PixelEncoderImpl : public torch::nn::Module {
 public:
  explicit PixelEncoderImpl(const PixelEncoderConfig& config);

  // Preprocessed images x [N, C, H, W] -> embeddings [N, OutputSize()].
  torch::Tensor forward(const torch::Tensor& x);

  // Size of an embedding: 8 * depth * out_height * out_width.
  int64_t OutputSize() const { return output_size_; }

 private:
  int64_t output_size_ = 0;
  torch::nn::Sequential layers_;
};
TORCH_MODULE(PixelEncoder);

// Sizes and options of a PixelDecoder.
struct PixelDecoderConfig {
  int64_t input_size = 0;  // size F of the features
  int64_t channels = 3;    // output channels (3 per decoded image key)
  int64_t depth = 48;      // the dense layer has 32 * depth units; the convs 4d, 2d, d
  std::string activation = "elu";
  bool fast = true;  // compute the transposed convs with SubPixelConvTranspose2d
};

// The paper's image decoder: a dense layer to a 1x1 map, then four stride-2 transposed convs.
//
//   features [N, F] --> DENSE 32d --reshape--> [N, 32d, 1, 1]
//     --> DECONV 4d k5 --> ACT --> [N, 4d, 5, 5]   --> DECONV 2d k5 --> ACT --> [N, 2d, 13, 13]
//     --> DECONV d k6  --> ACT --> [N, d, 30, 30]  --> DECONV C k6 --> [N, C, 64, 64]
//
// The parameters are those of torch::nn::ConvTranspose2d whichever way they are computed, so
// checkpoints of the native and the fast decoder are interchangeable.
class PixelDecoderImpl : public torch::nn::Module {
 public:
  explicit PixelDecoderImpl(const PixelDecoderConfig& config);

  // Features [N, F] -> images [N, C, 64, 64] in preprocessed units.
  torch::Tensor forward(const torch::Tensor& features);

  // Chooses the kernels of the transposed convs (the result is the same up to rounding).
  void set_fast(bool fast) { fast_ = fast; }
  bool fast() const { return fast_; }

 private:
  bool fast_ = true;
  std::string activation_;
  int64_t depth_ = 0;
  torch::nn::Linear dense_{nullptr};
  std::vector<torch::nn::ConvTranspose2d> deconvs_;
};
TORCH_MODULE(PixelDecoder);

// The trainable part of the conv encoder: one module holding both networks.
//
//   images [N, C, H, W] --> ENCODER --> embedding [N, E]
//   features [N, F] --> DECODER --> images [N, C, 64, 64]
class ConvAutoencoderImpl : public torch::nn::Module {
 public:
  ConvAutoencoderImpl(const PixelEncoderConfig& encoder_config,
                      const PixelDecoderConfig& decoder_config);

  // Images [N, C, H, W] -> embedding [N, E].
  torch::Tensor forward(const torch::Tensor& x) { return encoder->forward(x); }

  PixelEncoder encoder{nullptr};
  PixelDecoder decoder{nullptr};  // null when decoder_config.input_size is 0
};
TORCH_MODULE(ConvAutoencoder);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_ENCODERS_CONV_CONV_NETS_H_
