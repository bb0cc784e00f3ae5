// Tests of the `multi` encoder, loaded from the built plugin library through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "imitate/sdk/encoder.h"
#include "imitate/sdk/errors.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;
using Shape = std::vector<int64_t>;
using Given = std::map<std::string, ParamValue>;

class MultiEncoderTest : public ::testing::Test {
 protected:
  // conv depth 4 (embedding 8 * 4 * 2 * 2 = 128) and mlp hidden [32] (embedding 32)
  static constexpr int64_t kConvEmbedding = 128;
  static constexpr int64_t kEmbedding = kConvEmbedding + 32;

  // an unbuilt multi encoder with small parts and `given` parameters
  static std::unique_ptr<Encoder> Make(Given given = {}) {
    given.emplace("depth", int64_t{4});
    given.emplace("hidden", std::vector<int64_t>{32});
    return test_support::MakePlugin<Encoder>("multi", "encoder", given);
  }

  // 64x64 `pixels`, a 5-vector `state`, and keys no part reads: a float32 matrix, an int64
  // vector and one-channel images
  static ObservationSpace TestSpace() {
    ObservationSpace space;
    space["pixels"] = Space{torch::kUInt8, {64, 64, 3}, 0, 255};
    space["state"] = Space{torch::kFloat32, {5}};
    space["grid"] = Space{torch::kFloat32, {4, 4}};
    space["counts"] = Space{torch::kInt64, {3}};
    space["mask"] = Space{torch::kUInt8, {64, 64, 1}, 0, 255};
    return space;
  }

  // random pixels and states (mean 1, std 3) with `leading` batch dims
  static TensorMap Observation(const Shape& leading) {
    Shape image = leading, vector = leading;
    image.insert(image.end(), {64, 64, 3});
    vector.push_back(5);
    return {{"pixels", torch::randint(0, 256, image, torch::kUInt8)},
            {"state", torch::randn(vector) * 3 + 1}};
  }
};

// Every image and float vector by default; the embedding is conv's then mlp's, and the decoder
// reconstructs both keys in their preprocessed units.
TEST_F(MultiEncoderTest, EncodesAndDecodesImagesAndVectors) {
  torch::manual_seed(0);
  auto encoder = Make();
  encoder->Build(TestSpace(), 20);
  EXPECT_EQ(encoder->Keys(), (std::vector<std::string>{"pixels", "state"}));
  EXPECT_EQ(encoder->EmbeddingSize(), kEmbedding);
  TensorMap observation = Observation({2, 3});
  torch::Tensor embedding = encoder->Encode(observation);
  EXPECT_EQ(embedding.sizes(), (Shape{2, 3, kEmbedding}));
  // a new state changes the mlp columns only
  TensorMap moved = observation;
  moved["state"] = observation.at("state") + 1;
  torch::Tensor other = encoder->Encode(moved);
  EXPECT_TRUE(
      torch::equal(other.narrow(-1, 0, kConvEmbedding), embedding.narrow(-1, 0, kConvEmbedding)));
  EXPECT_FALSE(torch::equal(other, embedding));
  // decoded, targets and losses per key
  torch::Tensor features = torch::randn({2, 3, 20});
  TensorMap decoded = encoder->Decode(features);
  TensorMap targets = encoder->Targets(observation);
  TensorMap loss = encoder->ReconstructionLoss(features, observation);
  ASSERT_EQ(decoded.size(), 2u);
  ASSERT_EQ(targets.size(), 2u);
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(decoded.at("pixels").sizes(), (Shape{2, 3, 64, 64, 3}));
  EXPECT_EQ(decoded.at("state").sizes(), (Shape{2, 3, 5}));
  EXPECT_TRUE(torch::allclose(targets.at("pixels"),
                              observation.at("pixels").to(torch::kFloat32) / 255.0 - 0.5));
  EXPECT_TRUE(torch::allclose(targets.at("state"), observation.at("state")));  // no statistics yet
  for (const char* key : {"pixels", "state"}) {
    ASSERT_EQ(loss.at(key).sizes(), (Shape{2, 3})) << key;
    torch::Tensor error = (decoded.at(key) - targets.at(key)).square().flatten(2).sum(-1);
    EXPECT_TRUE(torch::allclose(loss.at(key), 0.5 * error, 1e-5, 1e-4)) << key;
  }
  // one module, the parts' modules as children
  auto module = encoder->Module();
  EXPECT_EQ(module->named_children().size(), 2u);
  auto params = module->named_parameters();
  EXPECT_TRUE(params.contains("conv.decoder.dense.weight"));
  EXPECT_TRUE(params.contains("mlp.decoder.layers.0.weight"));
  EXPECT_TRUE(module->named_buffers().contains("mlp.input_mean"));
}

// Listed keys keep their order, and a part without keys is left out.
TEST_F(MultiEncoderTest, ListedKeysChooseTheParts) {
  auto both = Make({{"keys", std::vector<std::string>{"state", "pixels"}}});
  both->Build(TestSpace(), 0);
  EXPECT_EQ(both->Keys(), (std::vector<std::string>{"state", "pixels"}));
  EXPECT_EQ(both->EmbeddingSize(), kEmbedding);
  auto state = Make({{"keys", std::vector<std::string>{"state"}}});
  state->Build(TestSpace(), 8);
  EXPECT_EQ(state->EmbeddingSize(), 32);
  EXPECT_EQ(state->Module()->named_children().size(), 1u);
  EXPECT_EQ(state->Encode(Observation({4})).sizes(), (Shape{4, 32}));
  EXPECT_EQ(state->Decode(torch::zeros({4, 8})).size(), 1u);
}

TEST_F(MultiEncoderTest, GradientsReachBothParts) {
  torch::manual_seed(1);
  auto encoder = Make();
  encoder->Build(TestSpace(), kEmbedding);
  TensorMap observation = Observation({2, 3});
  TensorMap loss = encoder->ReconstructionLoss(encoder->Encode(observation), observation);
  (loss.at("pixels").mean() + loss.at("state").mean()).backward();
  int64_t checked = 0;
  for (const auto& p : encoder->Module()->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
    ++checked;
  }
  EXPECT_GT(checked, 16);  // the conv and the mlp encoders and decoders
}

// The vector part is normalised by the demos' statistics; the images are not.
TEST_F(MultiEncoderTest, NormalisesTheVectorsByTheDataStatistics) {
  torch::manual_seed(2);
  auto encoder = Make();
  encoder->Build(TestSpace(), 6);
  TensorMap observation = Observation({3});
  torch::Tensor before = encoder->Encode(observation);
  TensorMap pixels_before = encoder->Targets(observation);
  // what the engine passes: float vector keys only; a std of 0 is floored at min_std
  torch::Tensor std = torch::tensor({3.0, 3.0, 3.0, 3.0, 0.0});
  encoder->SetDataStatistics({{"state", torch::full({5}, 1.0)}}, {{"state", std}});
  TensorMap targets = encoder->Targets(observation);
  EXPECT_TRUE(
      torch::allclose(targets.at("state"), (observation.at("state") - 1) / std.clamp_min(0.01)));
  EXPECT_TRUE(torch::equal(targets.at("pixels"), pixels_before.at("pixels")));
  torch::Tensor after = encoder->Encode(observation);
  EXPECT_TRUE(
      torch::equal(after.narrow(-1, 0, kConvEmbedding), before.narrow(-1, 0, kConvEmbedding)));
  EXPECT_FALSE(torch::equal(after, before));
  // statistics for the vectors are required
  std::string missing = ErrorOf([&] { encoder->SetDataStatistics({}, {}); });
  EXPECT_NE(missing.find("'state'"), std::string::npos) << missing;
}

// Module() holds every weight and the statistics: a saved and loaded copy is the same encoder.
TEST_F(MultiEncoderTest, SavesAndLoadsExactly) {
  torch::manual_seed(3);
  auto encoder = Make();
  encoder->Build(TestSpace(), 12);
  encoder->SetDataStatistics({{"state", torch::randn({5})}}, {{"state", torch::rand({5}) + 1}});
  std::stringstream stream;
  torch::save(encoder->Module(), stream);
  torch::manual_seed(4);  // other initial weights
  auto copy = Make();
  copy->Build(TestSpace(), 12);
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  copy->Module()->load(archive);
  // every parameter and buffer, and what they compute
  auto saved = encoder->Module()->named_parameters();
  for (const auto& p : copy->Module()->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), saved[p.key()])) << p.key();
  }
  auto buffers = encoder->Module()->named_buffers();
  for (const auto& b : copy->Module()->named_buffers()) {
    EXPECT_TRUE(torch::equal(b.value(), buffers[b.key()])) << b.key();
  }
  TensorMap observation = Observation({2});
  EXPECT_TRUE(torch::equal(copy->Encode(observation), encoder->Encode(observation)));
  torch::Tensor features = torch::randn({2, 12});
  for (const char* key : {"pixels", "state"}) {
    EXPECT_TRUE(torch::equal(copy->Decode(features).at(key), encoder->Decode(features).at(key)));
    EXPECT_TRUE(
        torch::equal(copy->Targets(observation).at(key), encoder->Targets(observation).at(key)));
  }
}

// A listed key the environment lacks, or one no part reads, is a one-line config error.
TEST_F(MultiEncoderTest, RejectsMissingAndUnsupportedKeys) {
  auto build = [](const std::vector<std::string>& keys, const ObservationSpace& space) {
    return ErrorOf([&] { Make({{"keys", keys}})->Build(space, 8); });
  };
  EXPECT_EQ(build({"pixels", "camera"}, TestSpace()),
            "encoder.keys: observation 'camera' is not produced by the environment (it has: "
            "counts, grid, mask, pixels, state)");
  EXPECT_EQ(build({"state", "grid"}, TestSpace()),
            "encoder.keys: observation 'grid' is float32 [4, 4]; the multi encoder reads uint8 "
            "[H, W, 3] images and float32 [D] vectors");
  EXPECT_EQ(build({"counts"}, TestSpace()),
            "encoder.keys: observation 'counts' is int64 [3]; the multi encoder reads uint8 [H, "
            "W, 3] images and float32 [D] vectors");
  EXPECT_EQ(build({"mask"}, TestSpace()),
            "encoder.keys: observation 'mask' is uint8 [64, 64, 1]; the multi encoder reads uint8 "
            "[H, W, 3] images and float32 [D] vectors");
  EXPECT_THROW(Make()->Build({{"grid", Space{torch::kFloat32, {4, 4}}}}, 8), ConfigError);
  // the parts' own checks: images too small, a decoder for images that are not 64x64
  ObservationSpace small = {{"pixels", Space{torch::kUInt8, {32, 32, 3}, 0, 255}}};
  EXPECT_NE(build({"pixels"}, small).find("32x32 are too small"), std::string::npos);
  ObservationSpace large = {{"pixels", Space{torch::kUInt8, {96, 96, 3}, 0, 255}}};
  EXPECT_NE(build({"pixels"}, large).find("makes 64x64 images"), std::string::npos);
  // bad parameter values, including the parts' checks, fail at once
  for (const Given& given :
       {Given{{"keys", std::vector<std::string>{"state", "state"}}}, Given{{"min_std", 0.0}},
        Given{{"clip", -1.0}}, Given{{"hidden", std::vector<int64_t>{}}},
        Given{{"depth", int64_t{0}}}, Given{{"activation", std::string("gelu")}},
        Given{{"decoder_impl", std::string("x")}}}) {
    std::string error = ErrorOf([&] { Make(given); });
    EXPECT_EQ(error.rfind("encoder.", 0), 0u) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST_F(MultiEncoderTest, RejectsBadObservationsAndUnbuiltUse) {
  auto encoder = Make();
  EXPECT_THROW(encoder->Encode(Observation({2})), UsageError);
  EXPECT_THROW(encoder->Module(), UsageError);
  encoder->Build(TestSpace(), 0);
  TensorMap observation = Observation({2});
  std::string missing = ErrorOf([&] { encoder->Encode({{"pixels", observation.at("pixels")}}); });
  EXPECT_NE(missing.find("no key 'state'"), std::string::npos) << missing;
  // the keys must share their leading dims
  std::string leading = ErrorOf([&] {
    encoder->Encode({{"pixels", observation.at("pixels")}, {"state", torch::zeros({3, 5})}});
  });
  EXPECT_NE(leading.find("'state' has leading dims [3], but 'pixels' has [2]"), std::string::npos)
      << leading;
  EXPECT_THROW(encoder->Decode(torch::zeros({2, 16})), UsageError);  // no decoder was built
}

// Autoencoding a fixed batch lowers the reconstruction loss of both keys.
TEST_F(MultiEncoderTest, TrainingLowersTheReconstructionOfBothKeys) {
  torch::manual_seed(5);
  auto encoder = Make({{"depth", int64_t{8}}});
  encoder->Build(TestSpace(), 256 + 32);
  // four images: a coloured square on a gradient; four states that vary with them
  torch::Tensor grid = torch::arange(64, torch::kFloat32) * 4;
  torch::Tensor images = torch::zeros({4, 64, 64, 3});
  for (int64_t i = 0; i < 4; ++i) {
    images[i].select(-1, i % 3) += grid.view({64, 1});
    images[i].slice(0, 8 * i, 8 * i + 24).slice(1, 40 - 8 * i, 64 - 8 * i) = 255.0;
  }
  torch::Tensor state = torch::sin(torch::arange(20, torch::kFloat32).view({4, 5})) * 2 + 3;
  TensorMap observation = {{"pixels", images.clamp(0, 255).to(torch::kUInt8)}, {"state", state}};
  torch::Tensor mean = state.mean(0), std = (state - mean).square().mean(0).sqrt();
  encoder->SetDataStatistics({{"state", mean}}, {{"state", std}});
  // the sum of the keys' mean losses, trained by Adam
  torch::optim::Adam adam(encoder->Module()->parameters(), torch::optim::AdamOptions(1e-3));
  auto losses = [&] {
    return encoder->ReconstructionLoss(encoder->Encode(observation), observation);
  };
  TensorMap first = losses();
  for (int i = 0; i < 100; ++i) {
    TensorMap loss = losses();
    adam.zero_grad();
    (loss.at("pixels").mean() + loss.at("state").mean()).backward();
    adam.step();
  }
  TensorMap last = losses();
  for (const char* key : {"pixels", "state"}) {
    double before = first.at(key).mean().item<double>(), after = last.at(key).mean().item<double>();
    EXPECT_LT(after, 0.2 * before) << key << ": first " << before << " last " << after;
  }
}

}  // namespace
}  // namespace imitate::plugins
