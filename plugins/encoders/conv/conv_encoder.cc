#include "plugins/encoders/conv/conv_encoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <utility>

#include "imitate/sdk/errors.h"
#include "plugins/common/describe.h"

namespace imitate::plugins {

namespace {

constexpr int64_t kImageChannels = 3;
constexpr int64_t kDecodedSide = 64;  // the paper's decoder makes 64x64 images

// the device a module's parameters live on
torch::Device DeviceOf(const torch::nn::Module& module) {
  return module.parameters().front().device();
}

// `leading` followed by `rest`
std::vector<int64_t> Concat(std::vector<int64_t> leading, std::initializer_list<int64_t> rest) {
  leading.insert(leading.end(), rest);
  return leading;
}

}  // namespace

ParamSpecs ConvEncoder::Specs() {
  return {
      StringListParam("keys", {"pixels"},
                      "observation keys to encode (uint8 [H, W, 3] images of one size, stacked "
                      "along the channels)")
          .Length(1, 16),
      IntParam("depth", 48, "channels of the first conv; the convs have depth * [1, 2, 4, 8]")
          .Range(1, 1024),
      StringParam("activation", "elu", "activation after each conv (encoder and decoder)")
          .Choices(ConvActivationNames()),
      StringParam("decoder_impl", "fast",
                  "kernels of the decoder's transposed convs: fast (sub-pixel convs, same "
                  "maths and weights) or native (torch ConvTranspose2d)")
          .Choices({"fast", "native"}),
  };
}

std::unique_ptr<Encoder> ConvEncoder::Create(const Params& params) {
  return std::make_unique<ConvEncoder>(params);
}

ConvEncoder::ConvEncoder(const Params& params)
    : path_(params.path()),
      keys_(params.StringList("keys")),
      depth_(params.Int("depth")),
      activation_(params.String("activation")),
      fast_decoder_(params.String("decoder_impl") == "fast") {
  for (size_t i = 0; i < keys_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (keys_[i] == keys_[j]) params.Fail("keys", "'" + keys_[i] + "' is listed twice");
    }
  }
}

void ConvEncoder::Build(const ObservationSpace& space, int64_t decoder_input_size) {
  // every key must be a uint8 [H, W, 3] image, all of one size
  height_ = width_ = 0;
  for (const std::string& key : keys_) {
    auto it = space.find(key);
    if (it == space.end()) {
      throw ConfigError(
          fmt::format("{}.keys: observation '{}' is not produced by the environment (it has: {})",
                      path_, key, KeyList(space)));
    }
    const Space& s = it->second;
    if (s.dtype != torch::kUInt8 || s.shape.size() != 3 || s.shape[2] != kImageChannels) {
      throw ConfigError(fmt::format(
          "{}.keys: observation '{}' is {}; the conv encoder needs uint8 [H, W, 3] images (use "
          "the mlp encoder for float vectors)",
          path_, key, SpaceText(s)));
    }
    if (height_ > 0 && (s.shape[0] != height_ || s.shape[1] != width_)) {
      throw ConfigError(
          fmt::format("{}.keys: observation '{}' is {}, but '{}' is {}x{}; the keys "
                      "must have one image size",
                      path_, key, SpaceText(s), keys_.front(), height_, width_));
    }
    height_ = s.shape[0];
    width_ = s.shape[1];
  }
  // four valid convs (kernel 4, stride 2) need at least 46 pixels a side
  if (PixelEncoderOutputSide(height_) < 1 || PixelEncoderOutputSide(width_) < 1) {
    throw ConfigError(fmt::format(
        "{}.keys: images of {}x{} are too small for the conv encoder (at least 46x46; the paper "
        "uses 64x64)",
        path_, height_, width_));
  }
  if (decoder_input_size > 0 && (height_ != kDecodedSide || width_ != kDecodedSide)) {
    throw ConfigError(fmt::format(
        "{}.keys: the conv decoder (the paper's transposed convs) makes 64x64 images, but '{}' is "
        "{}x{}; use 64x64 observations (e.g. image_size = 64)",
        path_, keys_.front(), height_, width_));
  }
  // the networks
  const int64_t channels = kImageChannels * static_cast<int64_t>(keys_.size());
  net_ = ConvAutoencoder(
      PixelEncoderConfig{channels, height_, width_, depth_, activation_},
      PixelDecoderConfig{decoder_input_size, channels, depth_, activation_, fast_decoder_});
}

int64_t ConvEncoder::EmbeddingSize() const {
  CheckBuilt("EmbeddingSize");
  return net_->encoder->OutputSize();
}

torch::Tensor ConvEncoder::Encode(const TensorMap& observation) {
  CheckBuilt("Encode");
  // [..., H, W, C] -> [N, C, H, W] -> [N, E] -> [..., E]
  std::vector<int64_t> leading;
  torch::Tensor x = Preprocess(observation, DeviceOf(*net_->encoder), &leading);
  torch::Tensor embedding = net_->encoder->forward(x.permute({0, 3, 1, 2}));
  return embedding.reshape(Concat(leading, {embedding.size(1)}));
}

TensorMap ConvEncoder::Decode(const torch::Tensor& features) {
  CheckBuilt("Decode", true);
  // [..., F] -> [N, F] -> [N, C, 64, 64] -> [..., 64, 64, C] -> 3 channels per key
  std::vector<int64_t> leading(features.sizes().begin(), features.sizes().end() - 1);
  torch::Tensor flat = features.to(DeviceOf(*net_->decoder)).reshape({-1, features.size(-1)});
  torch::Tensor images = net_->decoder->forward(flat).permute({0, 2, 3, 1});
  images = images.reshape(Concat(leading, {height_, width_, images.size(-1)}));
  TensorMap result;
  for (size_t i = 0; i < keys_.size(); ++i) {
    result.emplace(keys_[i],
                   images.narrow(-1, kImageChannels * static_cast<int64_t>(i), kImageChannels));
  }
  return result;
}

TensorMap ConvEncoder::Targets(const TensorMap& observation) {
  // each image as the decoder reconstructs it: u8 / 255 - 0.5, channels last
  TensorMap targets;
  for (const std::string& key : keys_) {
    auto it = observation.find(key);
    if (it == observation.end()) {
      throw DataError(fmt::format("conv encoder: the observation has no key '{}'", key));
    }
    targets.emplace(key, it->second.to(torch::kFloat32).div(255.0).sub(0.5));
  }
  return targets;
}

TensorMap ConvEncoder::ReconstructionLoss(const torch::Tensor& features,
                                          const TensorMap& observation) {
  // unit-variance Gaussian NLL without its constant: 0.5 * squared error over H, W, 3 per key
  TensorMap reconstruction = Decode(features);
  std::vector<int64_t> leading;
  torch::Tensor target = Preprocess(observation, DeviceOf(*net_->decoder), &leading);
  target = target.reshape(Concat(leading, {height_, width_, target.size(-1)}));
  TensorMap loss;
  for (size_t i = 0; i < keys_.size(); ++i) {
    torch::Tensor error =
        reconstruction.at(keys_[i]) -
        target.narrow(-1, kImageChannels * static_cast<int64_t>(i), kImageChannels);
    loss.emplace(keys_[i], 0.5 * error.square().sum({-3, -2, -1}));
  }
  return loss;
}

std::shared_ptr<torch::nn::Module> ConvEncoder::Module() {
  CheckBuilt("Module");
  return net_.ptr();
}

torch::Tensor ConvEncoder::Preprocess(const TensorMap& observation, torch::Device device,
                                      std::vector<int64_t>* leading) const {
  std::vector<torch::Tensor> parts;
  for (const std::string& key : keys_) {
    auto it = observation.find(key);
    if (it == observation.end()) {
      throw DataError(fmt::format("conv encoder: the observation has no key '{}' (it has: {})", key,
                                  KeyList(observation)));
    }
    // uint8 [..., H, W, 3], the same leading dims for every key
    const torch::Tensor& t = it->second;
    if (t.scalar_type() != torch::kUInt8 || t.dim() < 3 || t.size(-3) != height_ ||
        t.size(-2) != width_ || t.size(-1) != kImageChannels) {
      throw DataError(fmt::format(
          "conv encoder: observation '{}' is {} [{}]; expected uint8 [..., {}, {}, 3]", key,
          DtypeName(t.scalar_type()), fmt::join(t.sizes(), ", "), height_, width_));
    }
    std::vector<int64_t> lead(t.sizes().begin(), t.sizes().end() - 3);
    if (parts.empty()) {
      *leading = lead;
    } else if (lead != *leading) {
      throw DataError(fmt::format("conv encoder: observation '{}' has leading dims [{}], not [{}]",
                                  key, fmt::join(lead, ", "), fmt::join(*leading, ", ")));
    }
    // move as uint8, then u8 / 255 - 0.5
    parts.push_back(t.to(device).reshape({-1, height_, width_, kImageChannels}));
  }
  torch::Tensor x = parts.size() == 1 ? parts.front() : torch::cat(parts, -1);
  return x.to(torch::kFloat32).div_(255.0).sub_(0.5);
}

void ConvEncoder::CheckBuilt(const char* method, bool decoder) const {
  if (!net_) throw UsageError(fmt::format("conv encoder: {} called before Build", method));
  if (decoder && !net_->decoder) {
    throw UsageError(fmt::format(
        "conv encoder: {} needs a decoder; Build it with decoder_input_size > 0", method));
  }
}

}  // namespace imitate::plugins
