#include "plugins/encoders/multi/multi_encoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <utility>

#include "imitate/sdk/errors.h"
#include "plugins/common/describe.h"
#include "plugins/encoders/conv/conv_encoder.h"
#include "plugins/encoders/mlp/mlp_encoder.h"

namespace imitate::plugins {

namespace {

// parameters both parts declare, which we declare once for both
const std::vector<std::string> kSharedParams = {"keys", "activation"};

// which part reads a key of this space, if any
enum class Part { kConv, kMlp, kNone };
Part PartFor(const Space& s) {
  if (s.dtype == torch::kUInt8 && s.shape.size() == 3 && s.shape[2] == 3) return Part::kConv;
  if (s.dtype == torch::kFloat32 && s.shape.size() == 1) return Part::kMlp;
  return Part::kNone;
}

// `part`'s specs but the shared ones, each doc prefixed with the part's name
void AppendPartSpecs(ParamSpecs& specs, const ParamSpecs& part, const std::string& name) {
  for (ParamSpec spec : part) {
    if (std::count(kSharedParams.begin(), kSharedParams.end(), spec.name) > 0) continue;
    spec.doc = name + " part: " + spec.doc;
    specs.push_back(std::move(spec));
  }
}

// a part's parameters: our values of every parameter it declares, and its keys; errors name
// our table
Params PartParams(const Params& ours, const ParamSpecs& part_specs,
                  const std::vector<std::string>& keys) {
  std::map<std::string, ParamValue> given;
  for (const ParamSpec& spec : part_specs) {
    if (spec.name != "keys") given.emplace(spec.name, ours.values().at(spec.name));
  }
  given.emplace("keys", keys);
  return Params::Make(ours.path(), part_specs, given);
}

// each entry of `from` added to `to`
void MergeInto(TensorMap& to, TensorMap from) {
  for (auto& [key, value] : from) to.emplace(key, std::move(value));
}

}  // namespace

ParamSpecs MultiEncoder::Specs() {
  ParamSpecs specs = {
      StringListParam("keys", {},
                      "observation keys to encode: uint8 [H, W, 3] images (of one size) through "
                      "the conv part, float32 vectors through the mlp part; empty: every such key "
                      "of the environment")
          .Length(0, 64),
      StringParam("activation", "elu",
                  "activation of both parts (after each conv and each hidden layer)")
          .Choices(ConvActivationNames()),
  };
  AppendPartSpecs(specs, ConvEncoder::Specs(), "conv");
  AppendPartSpecs(specs, MlpEncoder::Specs(), "mlp");
  return specs;
}

std::unique_ptr<Encoder> MultiEncoder::Create(const Params& params) {
  return std::make_unique<MultiEncoder>(params);
}

MultiEncoder::MultiEncoder(const Params& params)
    : params_(params), keys_(params.StringList("keys")) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (keys_[i] == keys_[j]) params.Fail("keys", "'" + keys_[i] + "' is listed twice");
    }
  }
  // the parts check their values now (e.g. the mlp's min_std), so that validation reports them
  MakeParts({"pixels"}, {"state"});
  conv_.reset();
  mlp_.reset();
}

void MultiEncoder::MakeParts(const std::vector<std::string>& image_keys,
                             const std::vector<std::string>& vector_keys) {
  conv_.reset();
  mlp_.reset();
  if (!image_keys.empty()) {
    conv_ = ConvEncoder::Create(PartParams(params_, ConvEncoder::Specs(), image_keys));
  }
  if (!vector_keys.empty()) {
    mlp_ = MlpEncoder::Create(PartParams(params_, MlpEncoder::Specs(), vector_keys));
  }
}

void MultiEncoder::Build(const ObservationSpace& space, int64_t decoder_input_size) {
  const std::string& path = params_.path();
  // the keys: as listed, or every image and vector of the space (in its order)
  std::vector<std::string> keys = params_.StringList("keys");
  if (keys.empty()) {
    for (const auto& [key, s] : space) {
      if (PartFor(s) != Part::kNone) keys.push_back(key);
    }
    if (keys.empty()) {
      throw ConfigError(fmt::format(
          "{}.keys: the environment has no uint8 [H, W, 3] image or float32 vector observation "
          "for the multi encoder (it has: {})",
          path, KeyList(space)));
    }
  }
  // each key an image (conv part) or a float vector (mlp part) of the space
  std::vector<std::string> images, vectors;
  for (const std::string& key : keys) {
    auto it = space.find(key);
    if (it == space.end()) {
      throw ConfigError(
          fmt::format("{}.keys: observation '{}' is not produced by the environment (it has: {})",
                      path, key, KeyList(space)));
    }
    switch (PartFor(it->second)) {
      case Part::kConv:
        images.push_back(key);
        break;
      case Part::kMlp:
        vectors.push_back(key);
        break;
      case Part::kNone:
        throw ConfigError(fmt::format(
            "{}.keys: observation '{}' is {}; the multi encoder reads uint8 [H, W, 3] images and "
            "float32 [D] vectors",
            path, key, SpaceText(it->second)));
    }
  }
  // the parts, each decoding the same features; one module holds both
  module_.reset();
  MakeParts(images, vectors);
  auto module = std::make_shared<torch::nn::Module>("MultiEncoder");
  if (conv_) {
    conv_->Build(space, decoder_input_size);
    module->register_module("conv", conv_->Module());
  }
  if (mlp_) {
    mlp_->Build(space, decoder_input_size);
    module->register_module("mlp", mlp_->Module());
  }
  keys_ = std::move(keys);
  module_ = std::move(module);
}

int64_t MultiEncoder::EmbeddingSize() const {
  CheckBuilt("EmbeddingSize");
  int64_t size = 0;
  for (Encoder* part : Parts()) size += part->EmbeddingSize();
  return size;
}

torch::Tensor MultiEncoder::Encode(const TensorMap& observation) {
  CheckBuilt("Encode");
  // each part's embedding [..., E_part], conv first
  std::vector<torch::Tensor> embeddings;
  for (Encoder* part : Parts()) embeddings.push_back(part->Encode(observation));
  if (embeddings.size() == 1) return embeddings.front();
  // the parts' keys must share their leading dims
  auto leading = [](const torch::Tensor& t) { return t.sizes().slice(0, t.dim() - 1).vec(); };
  if (leading(embeddings[0]) != leading(embeddings[1])) {
    throw DataError(
        fmt::format("multi encoder: observation '{}' has leading dims [{}], but '{}' has [{}]",
                    mlp_->Keys().front(), fmt::join(leading(embeddings[1]), ", "),
                    conv_->Keys().front(), fmt::join(leading(embeddings[0]), ", ")));
  }
  return torch::cat(embeddings, -1);
}

TensorMap MultiEncoder::Decode(const torch::Tensor& features) {
  CheckBuilt("Decode");
  TensorMap result;
  for (Encoder* part : Parts()) MergeInto(result, part->Decode(features));
  return result;
}

TensorMap MultiEncoder::Targets(const TensorMap& observation) {
  CheckBuilt("Targets");
  TensorMap result;
  for (Encoder* part : Parts()) MergeInto(result, part->Targets(observation));
  return result;
}

void MultiEncoder::SetDataStatistics(const TensorMap& mean, const TensorMap& std) {
  CheckBuilt("SetDataStatistics");
  // the mlp part normalises by them; the conv part ignores them
  for (Encoder* part : Parts()) part->SetDataStatistics(mean, std);
}

TensorMap MultiEncoder::ReconstructionLoss(const torch::Tensor& features,
                                           const TensorMap& observation) {
  CheckBuilt("ReconstructionLoss");
  TensorMap result;
  for (Encoder* part : Parts()) MergeInto(result, part->ReconstructionLoss(features, observation));
  return result;
}

std::shared_ptr<torch::nn::Module> MultiEncoder::Module() {
  CheckBuilt("Module");
  return module_;
}

std::vector<Encoder*> MultiEncoder::Parts() const {
  std::vector<Encoder*> parts;
  if (conv_) parts.push_back(conv_.get());
  if (mlp_) parts.push_back(mlp_.get());
  return parts;
}

void MultiEncoder::CheckBuilt(const char* method) const {
  if (!module_) throw UsageError(fmt::format("multi encoder: {} called before Build", method));
}

}  // namespace imitate::plugins
