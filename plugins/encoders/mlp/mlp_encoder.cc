#include "plugins/encoders/mlp/mlp_encoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <utility>

#include "imitate/sdk/errors.h"
#include "plugins/common/describe.h"

namespace imitate::plugins {

// ----- module ----- //

MlpAutoencoderImpl::MlpAutoencoderImpl(const MlpAutoencoderConfig& config) {
  // encoder: x [..., D] -> embedding [..., E]
  encoder =
      register_module("encoder", Mlp(MlpConfig{config.input_size, config.hidden, config.embedding,
                                               config.activation, config.layer_norm}));
  // the input statistics: part of the state (checkpoints), never trained
  input_mean = register_buffer("input_mean", torch::zeros({config.input_size}));
  input_std = register_buffer("input_std", torch::ones({config.input_size}));
  // decoder: features [..., F] -> reconstruction [..., D]
  if (config.decoder_input_size > 0) {
    decoder = register_module(
        "decoder", Mlp(MlpConfig{config.decoder_input_size, config.hidden, config.input_size,
                                 config.activation, config.layer_norm}));
  }
}

// ----- plugin ----- //

ParamSpecs MlpEncoder::Specs() {
  return {
      StringListParam("keys", {"state"},
                      "observation keys to encode (float32 vectors, concatenated in this order)")
          .Length(1, 64),
      IntListParam("hidden", {256, 256}, "units of each hidden layer (encoder and decoder)")
          .Range(1, 65536)
          .Length(0, 64),
      IntParam("embedding", 0,
               "embedding size: > 0 adds a linear layer of this size; 0 uses the last hidden "
               "layer's output")
          .Range(0, 65536),
      StringParam("activation", "elu", "activation of the hidden layers")
          .Choices(MlpActivationNames()),
      BoolParam("layer_norm", false, "layer-normalise each hidden layer before its activation"),
      BoolParam("normalize", true,
                "normalise inputs (and reconstruction targets) by the demos' per-dimension mean "
                "and std"),
      FloatParam("min_std", 1e-2, "floor of the normalising std (dimensions the demos barely move)")
          .Min(0),
      FloatParam("clip", 0.0,
                 "clip normalised inputs and targets to [-clip, clip]; 0 = no clipping")
          .Min(0),
  };
}

std::unique_ptr<Encoder> MlpEncoder::Create(const Params& params) {
  return std::make_unique<MlpEncoder>(params);
}

MlpEncoder::MlpEncoder(const Params& params)
    : path_(params.path()),
      keys_(params.StringList("keys")),
      hidden_(params.IntList("hidden")),
      embedding_(params.Int("embedding")),
      activation_(params.String("activation")),
      layer_norm_(params.Bool("layer_norm")),
      normalize_(params.Bool("normalize")),
      min_std_(params.Float("min_std")),
      clip_(params.Float("clip")) {
  if (min_std_ <= 0) params.Fail("min_std", "must be > 0");
  // checks the specs cannot express
  if (hidden_.empty() && embedding_ == 0) {
    params.Fail("embedding", "must be > 0 when `hidden` is empty (there is no hidden layer)");
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (keys_[i] == keys_[j]) params.Fail("keys", "'" + keys_[i] + "' is listed twice");
    }
  }
}

void MlpEncoder::Build(const ObservationSpace& space, int64_t decoder_input_size) {
  // every key must be a float32 vector of the space
  key_sizes_.clear();
  int64_t input_size = 0;
  for (const std::string& key : keys_) {
    auto it = space.find(key);
    if (it == space.end()) {
      throw ConfigError(
          fmt::format("{}.keys: observation '{}' is not produced by the environment "
                      "(it has: {})",
                      path_, key, KeyList(space)));
    }
    const Space& s = it->second;
    if (s.dtype != torch::kFloat32 || s.shape.size() != 1) {
      throw ConfigError(fmt::format(
          "{}.keys: observation '{}' is {} [{}]; the mlp encoder needs float32 vectors (use the "
          "conv encoder)",
          path_, key, DtypeName(s.dtype), fmt::join(s.shape, ", ")));
    }
    key_sizes_.push_back(s.shape[0]);
    input_size += s.shape[0];
  }
  // the networks
  net_ = MlpAutoencoder(MlpAutoencoderConfig{input_size, hidden_, embedding_, activation_,
                                             layer_norm_, decoder_input_size});
}

int64_t MlpEncoder::EmbeddingSize() const {
  CheckBuilt("EmbeddingSize");
  return net_->encoder->OutputSize();
}

torch::Tensor MlpEncoder::Encode(const TensorMap& observation) {
  CheckBuilt("Encode");
  return net_->forward(NormalisedInput(observation, net_->encoder->device()));
}

torch::Tensor MlpEncoder::NormalisedInput(const TensorMap& observation,
                                          torch::Device device) const {
  // concatenate the keys along the last dim (one key needs no copy)
  torch::Tensor x;
  if (keys_.size() == 1) {
    x = Input(observation, 0, device);
  } else {
    std::vector<torch::Tensor> parts;
    parts.reserve(keys_.size());
    for (size_t i = 0; i < keys_.size(); ++i) parts.push_back(Input(observation, i, device));
    x = torch::cat(parts, -1);
  }
  if (!normalize_) return x;
  torch::Tensor z = (x - net_->input_mean) / net_->input_std;
  return clip_ > 0 ? z.clamp(-clip_, clip_) : z;
}

void MlpEncoder::SetDataStatistics(const TensorMap& mean, const TensorMap& std) {
  CheckBuilt("SetDataStatistics");
  if (!normalize_) return;
  std::vector<torch::Tensor> means, stds;
  for (size_t i = 0; i < keys_.size(); ++i) {
    auto m = mean.find(keys_[i]);
    auto s = std.find(keys_[i]);
    if (m == mean.end() || s == std.end()) {
      throw DataError(fmt::format("mlp encoder: no data statistics for '{}'", keys_[i]));
    }
    if (m->second.numel() != key_sizes_[i] || s->second.numel() != key_sizes_[i]) {
      throw DataError(fmt::format("mlp encoder: statistics of '{}' must have {} values", keys_[i],
                                  key_sizes_[i]));
    }
    means.push_back(m->second.reshape({-1}).to(torch::kFloat32));
    stds.push_back(s->second.reshape({-1}).to(torch::kFloat32).clamp_min(min_std_));
  }
  torch::NoGradGuard no_grad;
  net_->input_mean.copy_(torch::cat(means));
  net_->input_std.copy_(torch::cat(stds));
}

TensorMap MlpEncoder::Targets(const TensorMap& observation) {
  CheckBuilt("Targets");
  torch::Tensor x = NormalisedInput(observation, net_->input_mean.device());
  std::vector<torch::Tensor> parts = x.split_with_sizes(key_sizes_, -1);
  TensorMap result;
  for (size_t i = 0; i < keys_.size(); ++i) result.emplace(keys_[i], std::move(parts[i]));
  return result;
}

TensorMap MlpEncoder::Decode(const torch::Tensor& features) {
  CheckBuilt("Decode");
  if (!net_->decoder) {
    throw UsageError("mlp encoder: Decode needs a decoder; Build it with decoder_input_size > 0");
  }
  // one reconstruction [..., D] split back into the keys
  torch::Tensor out = net_->decoder->forward(features.to(net_->decoder->device()));
  std::vector<torch::Tensor> parts = out.split_with_sizes(key_sizes_, -1);
  TensorMap result;
  for (size_t i = 0; i < keys_.size(); ++i) result.emplace(keys_[i], std::move(parts[i]));
  return result;
}

TensorMap MlpEncoder::ReconstructionLoss(const torch::Tensor& features,
                                         const TensorMap& observation) {
  // unit-variance Gaussian NLL without its constant: 0.5 * squared error summed per key
  TensorMap reconstruction = Decode(features);
  TensorMap targets = Targets(observation);
  TensorMap loss;
  for (const std::string& key : keys_) {
    loss.emplace(key, 0.5 * (reconstruction.at(key) - targets.at(key)).square().sum(-1));
  }
  return loss;
}

std::shared_ptr<torch::nn::Module> MlpEncoder::Module() {
  CheckBuilt("Module");
  return net_.ptr();
}

torch::Tensor MlpEncoder::Input(const TensorMap& observation, size_t index,
                                torch::Device device) const {
  const std::string& key = keys_[index];
  auto it = observation.find(key);
  if (it == observation.end()) {
    throw DataError(fmt::format("mlp encoder: the observation has no key '{}' (it has: {})", key,
                                KeyList(observation)));
  }
  const torch::Tensor& t = it->second;
  if (t.dim() < 1 || t.size(-1) != key_sizes_[index]) {
    throw DataError(fmt::format("mlp encoder: observation '{}' has shape [{}]; expected [..., {}]",
                                key, fmt::join(t.sizes(), ", "), key_sizes_[index]));
  }
  return t.to(device, torch::kFloat32);
}

void MlpEncoder::CheckBuilt(const char* method) const {
  if (!net_) throw UsageError(fmt::format("mlp encoder: {} called before Build", method));
}

}  // namespace imitate::plugins
