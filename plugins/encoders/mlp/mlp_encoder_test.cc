// Tests of the `mlp` encoder, loaded from the built plugin library through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/errors.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;

class MlpEncoderTest : public ::testing::Test {
 protected:
  // an unbuilt mlp encoder with `given` parameters
  static std::unique_ptr<Encoder> Make(const std::map<std::string, ParamValue>& given) {
    return test_support::MakePlugin<Encoder>("mlp", "encoder", given);
  }

  // an observation space with a 5-vector `state`, a 3-vector `velocity` and `pixels`
  static ObservationSpace TestSpace() {
    ObservationSpace space;
    space["state"] = Space{torch::kFloat32, {5}};
    space["velocity"] = Space{torch::kFloat32, {3}};
    space["pixels"] = Space{torch::kUInt8, {64, 64, 3}, 0, 255};
    return space;
  }
};

TEST_F(MlpEncoderTest, EncodesOneAndTwoLeadingBatchDims) {
  torch::manual_seed(0);
  auto encoder = Make({{"hidden", std::vector<int64_t>{64}}});
  encoder->Build(TestSpace(), 0);
  EXPECT_EQ(encoder->Keys(), std::vector<std::string>{"state"});
  EXPECT_EQ(encoder->EmbeddingSize(), 64);  // embedding 0: the last hidden layer
  // [B, D] -> [B, E]
  torch::Tensor one = encoder->Encode({{"state", torch::randn({7, 5})}});
  EXPECT_EQ(one.sizes(), (std::vector<int64_t>{7, 64}));
  EXPECT_EQ(one.scalar_type(), torch::kFloat32);
  // [B, T, D] -> [B, T, E], equal to encoding the flattened batch
  torch::Tensor state = torch::randn({3, 4, 5});
  torch::Tensor two = encoder->Encode({{"state", state}});
  EXPECT_EQ(two.sizes(), (std::vector<int64_t>{3, 4, 64}));
  torch::Tensor flat = encoder->Encode({{"state", state.reshape({12, 5})}});
  EXPECT_TRUE(torch::allclose(two.reshape({12, 64}), flat, 1e-5, 1e-6));
}

TEST_F(MlpEncoderTest, ConcatenatesKeysAndProjectsToEmbedding) {
  auto encoder = Make({{"keys", std::vector<std::string>{"state", "velocity"}},
                       {"hidden", std::vector<int64_t>{32, 16}},
                       {"embedding", int64_t{8}},
                       {"activation", std::string("tanh")},
                       {"layer_norm", true}});
  encoder->Build(TestSpace(), 12);
  EXPECT_EQ(encoder->EmbeddingSize(), 8);
  torch::Tensor e = encoder->Encode({{"state", torch::randn({2, 6, 5})},
                                     {"velocity", torch::randn({2, 6, 3})},
                                     {"pixels", torch::zeros({2, 6, 64, 64, 3}, torch::kUInt8)}});
  EXPECT_EQ(e.sizes(), (std::vector<int64_t>{2, 6, 8}));
  // the decoder splits its output back into the keys
  TensorMap decoded = encoder->Decode(torch::randn({2, 6, 12}));
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded.at("state").sizes(), (std::vector<int64_t>{2, 6, 5}));
  EXPECT_EQ(decoded.at("velocity").sizes(), (std::vector<int64_t>{2, 6, 3}));
  // the module holds both networks
  EXPECT_EQ(encoder->Module()->named_children().size(), 2u);
}

TEST_F(MlpEncoderTest, RejectsMissingKeysAndNonVectorObservations) {
  // a key the environment does not produce
  std::string missing = ErrorOf([&] {
    Make({{"keys", std::vector<std::string>{"joints"}}})->Build(TestSpace(), 0);
  });
  EXPECT_NE(missing.find("encoder.keys: observation 'joints' is not produced"), std::string::npos)
      << missing;
  EXPECT_NE(missing.find("pixels, state, velocity"), std::string::npos) << missing;
  // images belong to the conv encoder
  EXPECT_THROW(Make({{"keys", std::vector<std::string>{"pixels"}}})->Build(TestSpace(), 0),
               ConfigError);
  std::string pixels = ErrorOf([&] {
    Make({{"keys", std::vector<std::string>{"pixels"}}})->Build(TestSpace(), 0);
  });
  EXPECT_EQ(pixels,
            "encoder.keys: observation 'pixels' is uint8 [64, 64, 3]; the mlp encoder needs "
            "float32 vectors (use the conv encoder)");
  // bad parameter values
  EXPECT_THROW(Make({{"activation", std::string("gelu")}}), ConfigError);
  EXPECT_THROW(Make({{"hidden", std::vector<int64_t>{0}}}), ConfigError);
  EXPECT_THROW(Make({{"hidden", std::vector<int64_t>{}}}), ConfigError);
  EXPECT_THROW(Make({{"keys", std::vector<std::string>{"state", "state"}}}), ConfigError);
}

TEST_F(MlpEncoderTest, RejectsBadObservationsAndUnbuiltUse) {
  auto encoder = Make({{"hidden", std::vector<int64_t>{16}}});
  EXPECT_THROW(encoder->Encode({{"state", torch::zeros({2, 5})}}), UsageError);
  encoder->Build(TestSpace(), 0);
  // a missing key and a wrong size are data errors naming the key
  std::string missing = ErrorOf([&] { encoder->Encode({{"velocity", torch::zeros({2, 3})}}); });
  EXPECT_NE(missing.find("no key 'state'"), std::string::npos) << missing;
  EXPECT_THROW(encoder->Encode({{"state", torch::zeros({2, 4})}}), DataError);
  // no decoder was built
  EXPECT_THROW(encoder->Decode(torch::zeros({2, 16})), UsageError);
}

TEST_F(MlpEncoderTest, ReconstructionLossIsHalfSquaredErrorAndDecreases) {
  torch::manual_seed(1);
  auto encoder = Make({{"keys", std::vector<std::string>{"state", "velocity"}},
                       {"hidden", std::vector<int64_t>{64, 64}}});
  encoder->Build(TestSpace(), 6);
  // features and observations related by a fixed smooth map
  torch::Tensor features = torch::randn({8, 16, 6});
  torch::Tensor mix = torch::randn({6, 8});
  torch::Tensor target = torch::tanh(features.matmul(mix));
  TensorMap observation = {{"state", target.slice(-1, 0, 5)}, {"velocity", target.slice(-1, 5)}};
  // the loss is 0.5 * squared error, summed over each key's elements
  TensorMap loss = encoder->ReconstructionLoss(features, observation);
  TensorMap decoded = encoder->Decode(features);
  ASSERT_EQ(loss.at("state").sizes(), (std::vector<int64_t>{8, 16}));
  torch::Tensor expected = 0.5 * (decoded.at("state") - observation.at("state")).square().sum(-1);
  EXPECT_TRUE(torch::allclose(loss.at("state"), expected));
  // training the module lowers it
  torch::optim::Adam adam(encoder->Module()->parameters(), torch::optim::AdamOptions(1e-3));
  auto total = [&] {
    TensorMap l = encoder->ReconstructionLoss(features, observation);
    return (l.at("state") + l.at("velocity")).mean();
  };
  double first = total().item<double>();
  for (int i = 0; i < 300; ++i) {
    adam.zero_grad();
    total().backward();
    adam.step();
  }
  double last = total().item<double>();
  EXPECT_LT(last, 0.2 * first) << "first " << first << " last " << last;
}

// Inputs and reconstruction targets are normalised by the data statistics the engine passes;
// they are module state (saved with it), and `normalize = false` ignores them.
TEST_F(MlpEncoderTest, NormalisesByTheDataStatistics) {
  torch::manual_seed(2);
  auto encoder = Make({{"keys", std::vector<std::string>{"state", "velocity"}},
                       {"hidden", std::vector<int64_t>{16}}});
  encoder->Build(TestSpace(), 4);
  TensorMap observation = {{"state", torch::randn({3, 5}) * 10 + 4},
                           {"velocity", torch::randn({3, 3})}};
  torch::Tensor before = encoder->Encode(observation);
  // statistics: state mean 4, std 10; velocity mean 0, std 0 (floored at min_std 0.01)
  encoder->SetDataStatistics({{"state", torch::full({5}, 4.0)}, {"velocity", torch::zeros({3})}},
                             {{"state", torch::full({5}, 10.0)}, {"velocity", torch::zeros({3})}});
  TensorMap targets = encoder->Targets(observation);
  EXPECT_TRUE(torch::allclose(targets.at("state"), (observation.at("state") - 4) / 10));
  EXPECT_TRUE(torch::allclose(targets.at("velocity"), observation.at("velocity") / 0.01));
  EXPECT_FALSE(torch::allclose(encoder->Encode(observation), before));
  // the reconstruction loss is measured against the normalised targets
  torch::Tensor features = torch::randn({3, 4});
  TensorMap decoded = encoder->Decode(features);
  torch::Tensor expected = 0.5 * (decoded.at("state") - targets.at("state")).square().sum(-1);
  EXPECT_TRUE(
      torch::allclose(encoder->ReconstructionLoss(features, observation).at("state"), expected));
  // the statistics travel with the module's state
  std::stringstream stream;
  torch::save(std::dynamic_pointer_cast<torch::nn::Module>(encoder->Module()), stream);
  auto fresh = Make({{"keys", std::vector<std::string>{"state", "velocity"}},
                     {"hidden", std::vector<int64_t>{16}}});
  fresh->Build(TestSpace(), 4);
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  fresh->Module()->load(archive);
  EXPECT_TRUE(torch::allclose(fresh->Encode(observation), encoder->Encode(observation)));
  // normalize = false ignores them; missing keys are a data error
  auto raw = Make({{"hidden", std::vector<int64_t>{16}}, {"normalize", false}});
  raw->Build(TestSpace(), 4);
  raw->SetDataStatistics({{"state", torch::full({5}, 4.0)}}, {{"state", torch::full({5}, 10.0)}});
  EXPECT_TRUE(torch::equal(raw->Targets(observation).at("state"), observation.at("state")));
  EXPECT_THROW(encoder->SetDataStatistics({}, {}), DataError);
}

// `clip` bounds the normalised values, in the targets and in what the encoder reads: a value
// far outside the demos' range weighs no more than one at the bound.
TEST_F(MlpEncoderTest, ClipsTheNormalisedValues) {
  torch::manual_seed(3);
  auto clipped = Make({{"hidden", std::vector<int64_t>{16}}, {"clip", 5.0}});
  clipped->Build(TestSpace(), 4);
  clipped->SetDataStatistics({{"state", torch::zeros({5})}}, {{"state", torch::ones({5})}});
  // normalised: -40, -5.5, 0.5, 4.9, 140
  TensorMap observation = {{"state", torch::tensor({{-40.0f, -5.5f, 0.5f, 4.9f, 140.0f}})}};
  TensorMap bound = {{"state", torch::tensor({{-5.0f, -5.0f, 0.5f, 4.9f, 5.0f}})}};
  EXPECT_TRUE(torch::allclose(clipped->Targets(observation).at("state"), bound.at("state")));
  EXPECT_TRUE(torch::equal(clipped->Encode(observation), clipped->Encode(bound)));
  // without it (the default) the values pass unchanged
  auto plain = Make({{"hidden", std::vector<int64_t>{16}}});
  plain->Build(TestSpace(), 4);
  plain->SetDataStatistics({{"state", torch::zeros({5})}}, {{"state", torch::ones({5})}});
  EXPECT_TRUE(torch::allclose(plain->Targets(observation).at("state"), observation.at("state")));
  EXPECT_FALSE(torch::equal(plain->Encode(observation), plain->Encode(bound)));
}

}  // namespace
}  // namespace imitate::plugins
