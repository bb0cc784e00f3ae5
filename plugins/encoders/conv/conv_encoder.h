// The `conv` encoder: uint8 images -> embedding, with the paper's transposed-conv decoder.
#ifndef IMITATE_PLUGINS_ENCODERS_CONV_CONV_ENCODER_H_
#define IMITATE_PLUGINS_ENCODERS_CONV_CONV_ENCODER_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/encoder.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/spaces.h"
#include "plugins/encoders/conv/conv_nets.h"

namespace imitate::plugins {

// Encodes uint8 images (`pixels` by default; several keys of one size are stacked along the
// channels) with the CMIL / DreamerV2 conv stack; its decoder reconstructs the same keys as
// 64x64 images under a unit-variance Gaussian.
class ConvEncoder final : public Encoder {
 public:
  // The declared parameters of the [encoder] table.
  static ParamSpecs Specs();

  // Makes an unbuilt encoder; throws ConfigError for values the specs cannot check.
  static std::unique_ptr<Encoder> Create(const Params& params);

  explicit ConvEncoder(const Params& params);

  void Build(const ObservationSpace& space, int64_t decoder_input_size) override;
  std::vector<std::string> Keys() const override { return keys_; }
  int64_t EmbeddingSize() const override;
  torch::Tensor Encode(const TensorMap& observation) override;
  TensorMap Decode(const torch::Tensor& features) override;
  TensorMap Targets(const TensorMap& observation) override;
  TensorMap ReconstructionLoss(const torch::Tensor& features,
                               const TensorMap& observation) override;
  std::shared_ptr<torch::nn::Module> Module() override;

 private:
  // The encoded keys as one float image batch [N, H, W, C] on `device`, u8 / 255 - 0.5, and
  // the leading dims of the observation; throws DataError for a missing or misshapen key.
  torch::Tensor Preprocess(const TensorMap& observation, torch::Device device,
                           std::vector<int64_t>* leading) const;

  // Throws UsageError when Build has not run (or, with `decoder`, built no decoder).
  void CheckBuilt(const char* method, bool decoder = false) const;

  std::string path_;  // the table's key path, for messages
  std::vector<std::string> keys_;
  int64_t depth_ = 48;
  std::string activation_;
  bool fast_decoder_ = true;

  int64_t height_ = 0;  // image size, set by Build
  int64_t width_ = 0;
  ConvAutoencoder net_{nullptr};
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_ENCODERS_CONV_CONV_ENCODER_H_
