// The `multi` encoder: images and float vectors at once, through the conv and mlp encoders.
#ifndef IMITATE_PLUGINS_ENCODERS_MULTI_MULTI_ENCODER_H_
#define IMITATE_PLUGINS_ENCODERS_MULTI_MULTI_ENCODER_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/encoder.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/spaces.h"

namespace imitate::plugins {

// Encodes several observation keys of different kinds (e.g. `pixels` and `state`): the uint8
// [H, W, 3] images through a `conv` encoder (its networks, preprocessing and loss), the float32
// vectors through an `mlp` encoder (with its normalisation), and concatenates the embeddings.
// Its decoder reconstructs every key, each part its own keys.
//
//   images  --> CONV ENCODER --> [..., E_conv] --+
//                                                +--concat--> embedding [..., E_conv + E_mlp]
//   vectors --> MLP ENCODER  --> [..., E_mlp]  --+
//   features [..., F] --> CONV DECODER (images) and MLP DECODER (vectors)
class MultiEncoder final : public Encoder {
 public:
  // The declared parameters: `keys`, `activation`, then the conv and the mlp encoder's own.
  static ParamSpecs Specs();

  // Makes an unbuilt encoder; throws ConfigError for values the specs cannot check.
  static std::unique_ptr<Encoder> Create(const Params& params);

  explicit MultiEncoder(const Params& params);

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
  // The parts for these keys (a part without keys is null), their parameters taken from ours.
  void MakeParts(const std::vector<std::string>& image_keys,
                 const std::vector<std::string>& vector_keys);

  // The parts that exist, conv first.
  std::vector<Encoder*> Parts() const;

  // Throws UsageError when Build has not run.
  void CheckBuilt(const char* method) const;

  Params params_;                              // ours, to make the parts' from
  std::vector<std::string> keys_;              // as configured; after Build, the keys encoded
  std::unique_ptr<Encoder> conv_;              // the images (null when there are none)
  std::unique_ptr<Encoder> mlp_;               // the vectors (null when there are none)
  std::shared_ptr<torch::nn::Module> module_;  // children `conv` and `mlp`: the parts' modules
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_ENCODERS_MULTI_MULTI_ENCODER_H_
