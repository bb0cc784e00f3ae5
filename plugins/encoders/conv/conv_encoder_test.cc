// Tests of the `conv` encoder, loaded from the built plugin library through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/encoder.h"
#include "imitate/sdk/errors.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;
using Shape = std::vector<int64_t>;

class ConvEncoderTest : public ::testing::Test {
 protected:
  // an unbuilt conv encoder with `given` parameters
  static std::unique_ptr<Encoder> Make(const std::map<std::string, ParamValue>& given) {
    return test_support::MakePlugin<Encoder>("conv", "encoder", given);
  }

  // an observation space with 64x64 `pixels` and `wrist` images, a 5-vector `state`, and
  // `large` images of `side` pixels
  static ObservationSpace TestSpace(int64_t side = 96) {
    ObservationSpace space;
    space["pixels"] = Space{torch::kUInt8, {64, 64, 3}, 0, 255};
    space["wrist"] = Space{torch::kUInt8, {64, 64, 3}, 0, 255};
    space["state"] = Space{torch::kFloat32, {5}};
    space["large"] = Space{torch::kUInt8, {side, side, 3}, 0, 255};
    return space;
  }

  // random uint8 images of `shape`
  static torch::Tensor Images(const Shape& shape) {
    return torch::randint(0, 256, shape, torch::kUInt8);
  }
};

TEST_F(ConvEncoderTest, EncodesOneAndTwoLeadingBatchDims) {
  torch::manual_seed(0);
  // the paper's sizes: 64x64x3 -> 2x2x384 -> 1536
  auto paper = Make({});
  paper->Build(TestSpace(), 0);
  EXPECT_EQ(paper->Keys(), std::vector<std::string>{"pixels"});
  EXPECT_EQ(paper->EmbeddingSize(), 1536);
  torch::Tensor one = paper->Encode({{"pixels", Images({2, 64, 64, 3})}});
  EXPECT_EQ(one.sizes(), (Shape{2, 1536}));
  EXPECT_EQ(one.scalar_type(), torch::kFloat32);
  // [B, T, H, W, 3] -> [B, T, E], equal to encoding the flattened batch
  auto small = Make({{"depth", int64_t{8}}});
  small->Build(TestSpace(), 0);
  EXPECT_EQ(small->EmbeddingSize(), 8 * 8 * 2 * 2);
  torch::Tensor pixels = Images({3, 4, 64, 64, 3});
  torch::Tensor two = small->Encode({{"pixels", pixels}});
  EXPECT_EQ(two.sizes(), (Shape{3, 4, 256}));
  torch::Tensor flat = small->Encode({{"pixels", pixels.reshape({12, 64, 64, 3})}});
  EXPECT_TRUE(torch::allclose(two.reshape({12, 256}), flat, 1e-5, 1e-6));
  // no leading dims
  EXPECT_EQ(small->Encode({{"pixels", pixels[0][0]}}).sizes(), (Shape{256}));
}

TEST_F(ConvEncoderTest, OtherImageSizesAndSeveralKeys) {
  // 96 -> 47 -> 22 -> 10 -> 4 per side
  auto large = Make({{"keys", std::vector<std::string>{"large"}}, {"depth", int64_t{4}}});
  large->Build(TestSpace(96), 0);
  EXPECT_EQ(large->EmbeddingSize(), 32 * 4 * 4);
  EXPECT_EQ(large->Encode({{"large", Images({2, 96, 96, 3})}}).sizes(), (Shape{2, 512}));
  // two keys of one size are stacked along the channels and decoded back apart
  auto both = Make({{"keys", std::vector<std::string>{"pixels", "wrist"}}, {"depth", int64_t{4}}});
  both->Build(TestSpace(), 10);
  EXPECT_EQ(
      both->Encode({{"pixels", Images({2, 64, 64, 3})}, {"wrist", Images({2, 64, 64, 3})}}).sizes(),
      (Shape{2, 128}));
  TensorMap decoded = both->Decode(torch::randn({2, 10}));
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded.at("wrist").sizes(), (Shape{2, 64, 64, 3}));
}

TEST_F(ConvEncoderTest, DecodesChannelsLastImagesAndHoldsBothNetworks) {
  auto encoder = Make({{"depth", int64_t{8}}});
  encoder->Build(TestSpace(), 20);
  TensorMap decoded = encoder->Decode(torch::randn({2, 3, 20}));
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(decoded.at("pixels").sizes(), (Shape{2, 3, 64, 64, 3}));
  EXPECT_EQ(decoded.at("pixels").scalar_type(), torch::kFloat32);
  // one module with both networks; the decoder keeps ConvTranspose2d's weight layout
  auto module = encoder->Module();
  EXPECT_EQ(module->named_children().size(), 2u);
  auto params = module->named_parameters();
  ASSERT_TRUE(params.contains("decoder.dense.weight"));
  EXPECT_EQ(params["decoder.dense.weight"].sizes(), (Shape{256, 20}));
  EXPECT_EQ(params["decoder.deconv0.weight"].sizes(), (Shape{256, 32, 5, 5}));
  EXPECT_EQ(params["decoder.deconv3.weight"].sizes(), (Shape{8, 3, 6, 6}));
}

TEST_F(ConvEncoderTest, ReconstructionLossIsHalfSquaredErrorOfPreprocessedPixels) {
  torch::manual_seed(2);
  auto encoder = Make({{"depth", int64_t{4}}});
  encoder->Build(TestSpace(), 6);
  torch::Tensor features = torch::randn({2, 3, 6});
  torch::Tensor decoded = encoder->Decode(features).at("pixels");
  // all-255 images are +0.5, all-0 images -0.5, others u8 / 255 - 0.5
  auto check = [&](const torch::Tensor& pixels, const torch::Tensor& target) {
    torch::Tensor loss = encoder->ReconstructionLoss(features, {{"pixels", pixels}}).at("pixels");
    ASSERT_EQ(loss.sizes(), (Shape{2, 3}));
    torch::Tensor expected = 0.5 * (decoded - target).square().sum({2, 3, 4});
    EXPECT_TRUE(torch::allclose(loss, expected, 1e-5, 1e-4)) << loss << expected;
  };
  check(torch::full({2, 3, 64, 64, 3}, 255, torch::kUInt8), torch::full_like(decoded, 0.5));
  check(torch::zeros({2, 3, 64, 64, 3}, torch::kUInt8), torch::full_like(decoded, -0.5));
  torch::Tensor pixels = Images({2, 3, 64, 64, 3});
  check(pixels, pixels.to(torch::kFloat32) / 255.0 - 0.5);
}

TEST_F(ConvEncoderTest, TrainingAnAutoencoderLowersTheLoss) {
  torch::manual_seed(3);
  auto encoder = Make({{"depth", int64_t{8}}});
  encoder->Build(TestSpace(), 256);
  // four synthetic images: a coloured square on a gradient background each
  torch::Tensor grid = torch::arange(64, torch::kFloat32) * 4;
  torch::Tensor images = torch::zeros({4, 64, 64, 3});
  for (int64_t i = 0; i < 4; ++i) {
    images[i].select(-1, i % 3) += grid.view({64, 1});
    images[i].slice(0, 8 * i, 8 * i + 24).slice(1, 40 - 8 * i, 64 - 8 * i) = 255.0;
  }
  TensorMap observation = {{"pixels", images.clamp(0, 255).to(torch::kUInt8)}};
  torch::optim::Adam adam(encoder->Module()->parameters(), torch::optim::AdamOptions(1e-3));
  auto loss = [&] {
    torch::Tensor embedding = encoder->Encode(observation);
    return encoder->ReconstructionLoss(embedding, observation).at("pixels").mean();
  };
  double first = loss().item<double>();
  for (int i = 0; i < 100; ++i) {
    adam.zero_grad();
    loss().backward();
    adam.step();
  }
  double last = loss().item<double>();
  EXPECT_LT(last, 0.2 * first) << "first " << first << " last " << last;
}

TEST_F(ConvEncoderTest, FastDecoderMatchesNative) {
  torch::manual_seed(4);
  auto native = Make({{"depth", int64_t{8}}, {"decoder_impl", std::string("native")}});
  auto fast = Make({{"depth", int64_t{8}}});  // the default
  native->Build(TestSpace(), 32);
  fast->Build(TestSpace(), 32);
  // the same weights (random, larger than the default init) in both
  {
    torch::NoGradGuard no_grad;
    auto from = native->Module()->named_parameters();
    for (auto& to : fast->Module()->named_parameters()) {
      from[to.key()].normal_(0, 0.2);
      to.value().copy_(from[to.key()]);
    }
  }
  torch::Tensor features = torch::randn({3, 5, 32});
  torch::Tensor a = native->Decode(features).at("pixels");
  torch::Tensor b = fast->Decode(features).at("pixels");
  EXPECT_GT(a.abs().max().item<double>(), 0.1);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5 * std::max(1.0, a.abs().max().item<double>()));
  // and the same gradients
  torch::Tensor target = torch::randn_like(a);
  ((a - target).square().sum()).backward();
  ((b - target).square().sum()).backward();
  auto grads = native->Module()->named_parameters();
  for (auto& p : fast->Module()->named_parameters()) {
    if (p.key().rfind("decoder.", 0) != 0) continue;
    torch::Tensor g = grads[p.key()].grad();
    double scale = std::max(1.0, g.abs().max().item<double>());
    EXPECT_LT((g - p.value().grad()).abs().max().item<double>(), 1e-4 * scale) << p.key();
  }
}

TEST_F(ConvEncoderTest, RejectsMissingAndNonImageKeys) {
  std::string missing = ErrorOf([&] {
    Make({{"keys", std::vector<std::string>{"camera"}}})->Build(TestSpace(), 0);
  });
  EXPECT_EQ(missing,
            "encoder.keys: observation 'camera' is not produced by the environment (it has: "
            "large, pixels, state, wrist)");
  std::string vector = ErrorOf([&] {
    Make({{"keys", std::vector<std::string>{"state"}}})->Build(TestSpace(), 0);
  });
  EXPECT_EQ(vector,
            "encoder.keys: observation 'state' is float32 [5]; the conv encoder needs uint8 [H, W, "
            "3] images (use the mlp encoder for float vectors)");
  // images too small for four valid convs, mixed sizes, and a decoder for non-64 images
  auto large = [](int64_t side, int64_t decoder) {
    return ErrorOf([&] {
      Make({{"keys", std::vector<std::string>{"large"}}})->Build(TestSpace(side), decoder);
    });
  };
  EXPECT_NE(large(45, 0).find("45x45 are too small"), std::string::npos) << large(45, 0);
  EXPECT_EQ(large(46, 0), "");
  EXPECT_NE(large(96, 8).find("makes 64x64 images, but 'large' is 96x96"), std::string::npos);
  EXPECT_THROW(Make({{"keys", std::vector<std::string>{"pixels", "large"}}})->Build(TestSpace(), 0),
               ConfigError);
  // bad parameter values
  EXPECT_THROW(Make({{"keys", std::vector<std::string>{"pixels", "pixels"}}}), ConfigError);
  EXPECT_THROW(Make({{"decoder_impl", std::string("im2col")}}), ConfigError);
  EXPECT_THROW(Make({{"activation", std::string("gelu")}}), ConfigError);
  EXPECT_THROW(Make({{"depth", int64_t{0}}}), ConfigError);
}

TEST_F(ConvEncoderTest, RejectsBadObservationsAndUnbuiltUse) {
  auto encoder = Make({{"depth", int64_t{4}}});
  EXPECT_THROW(encoder->Encode({{"pixels", Images({1, 64, 64, 3})}}), UsageError);
  encoder->Build(TestSpace(), 0);
  std::string missing = ErrorOf([&] { encoder->Encode({{"wrist", Images({1, 64, 64, 3})}}); });
  EXPECT_NE(missing.find("no key 'pixels'"), std::string::npos) << missing;
  EXPECT_THROW(encoder->Encode({{"pixels", torch::zeros({1, 64, 64, 3})}}), DataError);
  EXPECT_THROW(encoder->Encode({{"pixels", Images({1, 32, 32, 3})}}), DataError);
  EXPECT_THROW(encoder->Decode(torch::zeros({2, 16})), UsageError);  // no decoder was built
}

}  // namespace
}  // namespace imitate::plugins
