// The `mlp` encoder: float32 observation vectors -> embedding, with an MLP decoder.
#ifndef IMITATE_PLUGINS_ENCODERS_MLP_MLP_ENCODER_H_
#define IMITATE_PLUGINS_ENCODERS_MLP_MLP_ENCODER_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/encoder.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/spaces.h"
#include "plugins/common/mlp.h"

namespace imitate::plugins {

// Sizes of the encoder network and its optional decoder.
struct MlpAutoencoderConfig {
  int64_t input_size = 0;       // sum of the encoded keys' sizes
  std::vector<int64_t> hidden;  // hidden layers of both the encoder and the decoder
  int64_t embedding = 0;        // > 0: a linear embedding layer; 0: the last hidden layer
  std::string activation = "elu";
  bool layer_norm = false;
  int64_t decoder_input_size = 0;  // 0: no decoder
};

// The trainable part of the mlp encoder: one module holding both networks.
//
//   observation keys --concat--> x [..., D] --> ENCODER MLP --> embedding [..., E]
//   features [..., F] --> DECODER MLP --> reconstruction [..., D] --split--> keys
class MlpAutoencoderImpl : public torch::nn::Module {
 public:
  explicit MlpAutoencoderImpl(const MlpAutoencoderConfig& config);

  // x [..., D] -> embedding [..., E].
  torch::Tensor forward(const torch::Tensor& x) { return encoder->forward(x); }

  Mlp encoder{nullptr};
  Mlp decoder{nullptr};  // null when decoder_input_size is 0
  // input normalisation (x - mean) / std, from the demos' statistics; identity until set
  torch::Tensor input_mean, input_std;
};
TORCH_MODULE(MlpAutoencoder);

// Encodes float32 vector observations (`state` by default) by concatenation and an MLP; its
// decoder reconstructs the same keys under a unit-variance Gaussian.
class MlpEncoder final : public Encoder {
 public:
  // The declared parameters of the [encoder] table.
  static ParamSpecs Specs();

  // Makes an unbuilt encoder; throws ConfigError for values the specs cannot check.
  static std::unique_ptr<Encoder> Create(const Params& params);

  explicit MlpEncoder(const Params& params);

  void Build(const ObservationSpace& space, int64_t decoder_input_size) override;
  std::vector<std::string> Keys() const override { return keys_; }
  int64_t EmbeddingSize() const override;
  torch::Tensor Encode(const TensorMap& observation) override;
  TensorMap Decode(const torch::Tensor& features) override;
  TensorMap Targets(const TensorMap& observation) override;
  void SetDataStatistics(const TensorMap& mean, const TensorMap& std) override;
  TensorMap ReconstructionLoss(const torch::Tensor& features,
                               const TensorMap& observation) override;
  std::shared_ptr<torch::nn::Module> Module() override;

 private:
  // The key's tensor as float32 on the module's device; throws DataError when it is missing or
  // its last dim is not the key's size.
  torch::Tensor Input(const TensorMap& observation, size_t index, torch::Device device) const;

  // The encoded keys concatenated [..., D] and normalised (when `normalize`; clipped to
  // [-clip, clip] when `clip` > 0), on `device`.
  torch::Tensor NormalisedInput(const TensorMap& observation, torch::Device device) const;

  // Throws UsageError when Build has not run.
  void CheckBuilt(const char* method) const;

  std::string path_;  // the table's key path, for messages
  std::vector<std::string> keys_;
  std::vector<int64_t> hidden_;
  int64_t embedding_ = 0;
  std::string activation_;
  bool layer_norm_ = false;
  bool normalize_ = true;
  double min_std_ = 1e-2;
  double clip_ = 0.0;  // 0: no clipping of the normalised values

  std::vector<int64_t> key_sizes_;  // one per key, set by Build
  MlpAutoencoder net_{nullptr};
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_ENCODERS_MLP_MLP_ENCODER_H_
