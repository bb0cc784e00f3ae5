// Extension point: an observation encoder and its paired decoder.
#ifndef IMITATE_SDK_ENCODER_H_
#define IMITATE_SDK_ENCODER_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/plugin.h"
#include "imitate/sdk/spaces.h"

namespace imitate {

// Maps observations to an embedding, and (optionally) features of a latent state back to the
// observation keys it encodes. `conv` encodes `pixels`, `mlp` encodes `state`.
class IMITATE_EXPORT Encoder : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kEncoder;
  ~Encoder() override;

  // Builds the networks for `space`. A decoder is built when `decoder_input_size` > 0: it maps
  // features of that size back to the encoded keys. Throws ConfigError when a key the encoder
  // needs is missing from `space`.
  virtual void Build(const ObservationSpace& space, int64_t decoder_input_size) = 0;

  // The observation keys this encoder reads (and its decoder reconstructs).
  virtual std::vector<std::string> Keys() const = 0;

  // Size E of an embedding.
  virtual int64_t EmbeddingSize() const = 0;

  // Observations in storage dtype (`pixels` uint8 [..., H, W, 3]; `state` float32 [..., D]),
  // any number of leading batch dims -> float32 embeddings [..., E].
  virtual torch::Tensor Encode(const TensorMap& observation) = 0;

  // Features [..., F] -> reconstruction of each key, in the encoder's preprocessed units
  // (pixels as float in [-0.5, 0.5], channels last).
  virtual TensorMap Decode(const torch::Tensor& features) = 0;

  // Negative log-likelihood of `observation` under Decode(features), summed over each key's
  // elements: one tensor [...] per key.
  virtual TensorMap ReconstructionLoss(const torch::Tensor& features,
                                       const TensorMap& observation) = 0;

  // `observation` in the units Decode reconstructs (pixels u8/255 - 0.5, normalised vectors,
  // ...), float32, one tensor per encoded key: what reconstruction and prediction errors are
  // measured against. The default converts each encoded key to float32 unchanged.
  virtual TensorMap Targets(const TensorMap& observation);

  // Per-key mean and standard deviation over the training data (the demos), computed by the
  // engine for every float32 vector key the encoder reads and passed once, after Build and
  // before a new run trains. Encoders that normalise their inputs keep them in Module()'s state
  // (so checkpoints restore them); the default ignores them.
  virtual void SetDataStatistics(const TensorMap& mean, const TensorMap& std);

  // The trainable module (encoder and decoder), for optimisers and checkpoints. The engine
  // moves it to the run's device after Build; inputs arrive on the CPU.
  virtual std::shared_ptr<torch::nn::Module> Module() = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_ENCODER_H_
