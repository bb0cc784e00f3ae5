// Tests of the `bc` optimizer, loaded from the built plugin libraries through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/optimizer.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;

constexpr int64_t kStateSize = 4;
constexpr int64_t kActionSize = 2;
constexpr int kUpdates = 400;         // BC updates in the learning test
constexpr double kHeldOutMse = 0.01;  // its bound on the held-out action error

class BcOptimizerTest : public ::testing::Test {
 protected:
  // a plugin of interface T named `name` with `given` parameters
  template <typename T>
  static std::unique_ptr<T> Make(const std::string& name, const char* table,
                                 const std::map<std::string, ParamValue>& given) {
    return test_support::MakePlugin<T>(name, table, given);
  }

  // `state` [4] and `velocity` [3] observations
  static ObservationSpace TestSpace() {
    ObservationSpace space;
    space["state"] = Space{torch::kFloat32, {kStateSize}};
    space["velocity"] = Space{torch::kFloat32, {3}};
    return space;
  }

  // an mlp encoder on `keys`, seeded
  static std::unique_ptr<Encoder> MakeEncoder(std::vector<std::string> keys = {"state"}) {
    torch::manual_seed(0);
    auto encoder = Make<Encoder>("mlp", "encoder",
                                 {{"keys", std::move(keys)}, {"hidden", std::vector<int64_t>{64}}});
    encoder->Build(TestSpace(), 0);
    return encoder;
  }

  // a bc optimizer built on `encoder`
  static std::unique_ptr<Optimizer> MakeBc(Encoder* encoder, uint64_t seed,
                                           std::map<std::string, ParamValue> given = {}) {
    given.emplace("hidden", std::vector<int64_t>{64, 64});
    auto bc = Make<Optimizer>("bc", "optimizer", given);
    AgentComponents components;
    components.observation_space = TestSpace();
    components.action_space = Space{torch::kFloat32, {kActionSize}};
    components.encoder = encoder;
    components.seed = seed;
    bc->Build(components);
    return bc;
  }
};

// the expert: a = tanh(W s) for a fixed W [A, S]
torch::Tensor ExpertWeights() {
  torch::manual_seed(7);
  return torch::randn({kActionSize, kStateSize});
}
torch::Tensor ExpertAction(const torch::Tensor& state, const torch::Tensor& weights) {
  return torch::tanh(state.matmul(weights.t()));
}

// windows [B, T] in the Dreamer convention: action[:, t + 1] is the expert's action from
// state[:, t]; each window starts an episode (zero action, is_first)
Batch ExpertBatch(int64_t batch, int64_t steps, const torch::Tensor& weights) {
  Batch b;
  torch::Tensor state = torch::rand({batch, steps, kStateSize}) * 2 - 1;
  b.observation["state"] = state;
  b.action = torch::zeros({batch, steps, kActionSize});
  b.action.slice(1, 1) = ExpertAction(state.slice(1, 0, steps - 1), weights);
  b.reward = torch::zeros({batch, steps});
  b.is_first = torch::zeros({batch, steps}, torch::kBool);
  b.is_first.select(1, 0).fill_(true);
  b.is_last = torch::zeros({batch, steps}, torch::kBool);
  b.is_terminal = torch::zeros({batch, steps}, torch::kBool);
  return b;
}

TEST_F(BcOptimizerTest, RegistersAsAnOptimizerNeedingAnEncoder) {
  const engine::RegistryEntry* entry =
      test_support::BuiltPlugins().Find(PluginKind::kOptimizer, "bc");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->info.requires_components, std::vector<std::string>{"encoder"});
}

TEST_F(BcOptimizerTest, LearnsALinearTanhExpert) {
  torch::Tensor weights = ExpertWeights();
  auto encoder = MakeEncoder();
  auto bc = MakeBc(encoder.get(), 3, {{"lr", 1e-3}});
  // train on expert windows; the replay batch is ignored
  torch::manual_seed(11);
  Metrics first;
  Metrics last;
  for (int i = 0; i < kUpdates; ++i) {
    last = bc->Update(Phase::kBehaviorCloning, Batch{}, ExpertBatch(16, 16, weights));
    if (i == 0) first = last;
  }
  for (const char* key : {"bc_loss", "policy_std", "action_mse", "grad_norm"}) {
    EXPECT_EQ(last.count(key), 1u) << key;
  }
  EXPECT_LT(last.at("bc_loss"), first.at("bc_loss"));
  EXPECT_LT(last.at("policy_std"), first.at("policy_std"));
  // evaluate on held-out states
  torch::Tensor state = torch::rand({512, kStateSize}) * 2 - 1;
  TensorMap carry = bc->InitialCarry(512);
  EXPECT_TRUE(carry.empty());
  torch::Tensor action =
      bc->Act({{"state", state}}, torch::zeros({512}, torch::kBool), carry, ActMode::kEvaluate);
  double mse = (action - ExpertAction(state, weights)).square().mean().item<double>();
  double baseline = ExpertAction(state, weights).square().mean().item<double>();
  std::cout << "bc: first action_mse " << first.at("action_mse") << ", last "
            << last.at("action_mse") << ", held-out " << mse << " (zero policy " << baseline << ")"
            << std::endl;
  EXPECT_LT(mse, kHeldOutMse);
}

TEST_F(BcOptimizerTest, ActShapesAndDeterminism) {
  auto encoder = MakeEncoder();
  auto bc = MakeBc(encoder.get(), 5);
  auto same = MakeBc(encoder.get(), 5);
  auto other = MakeBc(encoder.get(), 6);
  TensorMap observation = {{"state", torch::rand({5, kStateSize}) * 2 - 1},
                           {"velocity", torch::zeros({5, 3})}};
  torch::Tensor is_first = torch::ones({5}, torch::kBool);
  TensorMap carry = bc->InitialCarry(5);
  // evaluation: the mode, the same every time and for the same seed
  torch::Tensor mode = bc->Act(observation, is_first, carry, ActMode::kEvaluate);
  EXPECT_EQ(mode.sizes(), (std::vector<int64_t>{5, kActionSize}));
  EXPECT_EQ(mode.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(mode.abs().lt(1).all().item<bool>());
  EXPECT_TRUE(torch::equal(mode, bc->Act(observation, is_first, carry, ActMode::kEvaluate)));
  EXPECT_TRUE(torch::equal(mode, same->Act(observation, is_first, carry, ActMode::kEvaluate)));
  EXPECT_FALSE(torch::equal(mode, other->Act(observation, is_first, carry, ActMode::kEvaluate)));
  // exploration: samples, reproducible from the seed
  torch::Tensor sample = bc->Act(observation, is_first, carry, ActMode::kExplore);
  EXPECT_EQ(sample.sizes(), mode.sizes());
  EXPECT_FALSE(torch::equal(sample, mode));
  EXPECT_TRUE(torch::equal(sample, same->Act(observation, is_first, carry, ActMode::kExplore)));
  EXPECT_FALSE(torch::equal(sample, bc->Act(observation, is_first, carry, ActMode::kExplore)));
}

TEST_F(BcOptimizerTest, SaveLoadRoundTripRestoresActorAdamAndNoise) {
  torch::Tensor weights = ExpertWeights();
  auto encoder = MakeEncoder();
  auto bc = MakeBc(encoder.get(), 1, {{"train_encoder", false}});
  torch::manual_seed(2);
  for (int i = 0; i < 5; ++i) bc->Update(Phase::kPretrain, Batch{}, ExpertBatch(4, 8, weights));
  // save, then load into an optimizer built with another seed
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    bc->Save(archive);
    archive.save_to(stream);
  }
  auto restored = MakeBc(encoder.get(), 99, {{"train_encoder", false}});
  {
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    restored->Load(archive);
  }
  // identical actions, sampled ones included
  TensorMap observation = {{"state", torch::rand({6, kStateSize}) * 2 - 1}};
  torch::Tensor is_first = torch::zeros({6}, torch::kBool);
  TensorMap carry;
  for (ActMode mode : {ActMode::kEvaluate, ActMode::kExplore}) {
    EXPECT_TRUE(torch::equal(bc->Act(observation, is_first, carry, mode),
                             restored->Act(observation, is_first, carry, mode)));
  }
  // the next update matches too (Adam's moments were restored)
  Batch batch = ExpertBatch(4, 8, weights);
  Metrics a = bc->Update(Phase::kOnline, Batch{}, batch);
  Metrics b = restored->Update(Phase::kOnline, Batch{}, batch);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(torch::equal(bc->Act(observation, is_first, carry, ActMode::kEvaluate),
                           restored->Act(observation, is_first, carry, ActMode::kEvaluate)));
  // a checkpoint without the bc archives is a data error
  torch::serialize::OutputArchive empty_out;
  empty_out.write("unrelated", torch::zeros({1}));
  std::stringstream empty_stream;
  empty_out.save_to(empty_stream);
  torch::serialize::InputArchive empty_in;
  empty_in.load_from(empty_stream);
  EXPECT_THROW(restored->Load(empty_in), DataError);
}

TEST_F(BcOptimizerTest, MasksPairsThatCrossAnEpisodeStart) {
  torch::Tensor weights = ExpertWeights();
  auto encoder = MakeEncoder();
  auto bc = MakeBc(encoder.get(), 4, {{"train_encoder", false}});
  auto same = MakeBc(encoder.get(), 4, {{"train_encoder", false}});
  // an episode starts at t = 3 of row 0: the action there did not follow state 2
  Batch batch = ExpertBatch(2, 6, weights);
  batch.is_first[0][3] = true;
  Batch changed = batch;
  changed.action = batch.action.clone();
  changed.action[0][3] = torch::tensor({0.9f, -0.9f});
  EXPECT_DOUBLE_EQ(bc->Update(Phase::kPretrain, Batch{}, batch).at("bc_loss"),
                   same->Update(Phase::kPretrain, Batch{}, changed).at("bc_loss"));
}

TEST_F(BcOptimizerTest, ErrorsNameWhatIsMissing) {
  // no encoder
  auto bc = Make<Optimizer>("bc", "optimizer", {});
  AgentComponents components;
  components.action_space = Space{torch::kFloat32, {kActionSize}};
  std::string no_encoder = ErrorOf([&] { bc->Build(components); });
  EXPECT_NE(no_encoder.find("needs an encoder"), std::string::npos) << no_encoder;
  EXPECT_THROW(bc->Update(Phase::kPretrain, Batch{}, Batch{}), UsageError);
  // an encoder built on `velocity` while the demos only hold `state`
  torch::Tensor weights = ExpertWeights();
  auto encoder = MakeEncoder({"velocity"});
  auto built = MakeBc(encoder.get(), 0);
  std::string update =
      ErrorOf([&] { built->Update(Phase::kPretrain, Batch{}, ExpertBatch(2, 4, weights)); });
  EXPECT_NE(update.find("no observation 'velocity'"), std::string::npos) << update;
  EXPECT_NE(update.find("(it has: state)"), std::string::npos) << update;
  TensorMap carry;
  EXPECT_THROW(built->Act({{"state", torch::zeros({1, kStateSize})}},
                          torch::zeros({1}, torch::kBool), carry, ActMode::kEvaluate),
               DataError);
  // bad parameter values
  EXPECT_THROW(Make<Optimizer>("bc", "optimizer", {{"lr", 0.0}}), ConfigError);
  EXPECT_THROW(Make<Optimizer>("bc", "optimizer", {{"min_std", 0.5}, {"max_std", 0.1}}),
               ConfigError);
}

}  // namespace
}  // namespace imitate::plugins
