// Tests of the `vmail` optimizer, built with the mlp encoder, rssm dynamics and the
// discriminator, all loaded from the built plugin libraries through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/reward_learner.h"
#include "tests/support/optimizer_test_util.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::AllChanged;
using test_support::ErrorOf;
using test_support::Given;
using test_support::MakePlugin;
using test_support::Same;
using test_support::Tensors;
using test_support::Under;
using test_support::WorldModelParameters;
using Components = test_support::AgentParts;
using Sizes = std::vector<int64_t>;

constexpr int64_t kState = 5;
constexpr int64_t kAction = 2;
constexpr int64_t kBatch = 4;
constexpr int64_t kSteps = 6;
const std::vector<int64_t> kHidden = {32};

// ----- helpers ----- //

ObservationSpace TestSpace() { return {{"state", Space{torch::kFloat32, {kState}}}}; }

// The components of an agent; every set made with the same arguments starts from the same
// weights.
Components MakeComponents(bool with_reward = true) {
  torch::manual_seed(0);
  Components c;
  c.encoder = MakePlugin<Encoder>("mlp", "encoder", {{"hidden", kHidden}});
  c.dynamics = MakePlugin<Dynamics>(
      "rssm", "dynamics", {{"stoch", int64_t{8}}, {"deter", int64_t{16}}, {"hidden", int64_t{32}}});
  if (with_reward) {
    c.reward = MakePlugin<RewardLearner>("discriminator", "reward",
                                         {{"hidden", kHidden}, {"gradient_penalty", 1.0}});
  }
  test_support::BuildParts(c, TestSpace(), kAction);
  return c;
}

// A vmail optimizer with small networks (and `given` on top) built on `c`.
std::unique_ptr<Optimizer> MakeVmail(Components& c, Given given = {}, uint64_t seed = 1) {
  given.emplace("actor_hidden", kHidden);
  given.emplace("value_hidden", kHidden);
  given.emplace("horizon", int64_t{4});
  return test_support::BuildOptimizer("vmail", c, TestSpace(), kAction, given, seed);
}

// Windows [kBatch, kSteps] from the global generator (test_support::RandomWindows).
Batch RandomBatch() { return test_support::RandomWindows(kBatch, kSteps, kState, kAction); }

// The optimizer's networks as its checkpoint holds them ("actor.net.layers.0.weight", ...).
Tensors SavedNets(Optimizer& optimizer) { return test_support::SavedNets(optimizer, "vmail_nets"); }

// ----- tests ----- //

TEST(VmailOptimizerTest, RegistersNeedingEncoderDynamicsAndReward) {
  const engine::RegistryEntry* entry =
      test_support::BuiltPlugins().Find(PluginKind::kOptimizer, "vmail");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->info.requires_components,
            (std::vector<std::string>{"encoder", "dynamics", "reward"}));
}

TEST(VmailOptimizerTest, EveryPhaseUpdatesWithFiniteMetrics) {
  Components c = MakeComponents();
  auto vmail = MakeVmail(c);
  const Tensors before = SavedNets(*vmail);
  torch::manual_seed(1);
  for (Phase phase : {Phase::kPretrain, Phase::kBehaviorCloning, Phase::kOnline}) {
    Metrics m = vmail->Update(phase, RandomBatch(), RandomBatch());
    for (const char* key :
         {"vmail_actor_loss", "vmail_value_loss", "vmail_reward", "vmail_return",
          "vmail_policy_entropy", "vmail_actor_grad_norm", "vmail_value_grad_norm",
          "vmail_discriminator_grad_norm", "wm_loss", "wm_kl", "discriminator/loss"}) {
      ASSERT_EQ(m.count(key), 1u) << key;
      EXPECT_TRUE(std::isfinite(m.at(key))) << key << " = " << m.at(key);
    }
    // the reward is sigmoid(D), and with lambda 1, no bootstrap the returns are sums of rewards
    EXPECT_GT(m.at("vmail_reward"), 0.0);
    EXPECT_LT(m.at("vmail_reward"), 1.0);
    EXPECT_GT(m.at("vmail_return"), m.at("vmail_reward"));
    EXPECT_GT(m.at("vmail_value_grad_norm"), 0.0);
  }
  const Tensors after = SavedNets(*vmail);
  EXPECT_TRUE(AllChanged(Under(before, "actor."), Under(after, "actor.")));
  EXPECT_TRUE(AllChanged(Under(before, "value."), Under(after, "value.")));
}

// Two agents that differ only in the value net's learning rate: after one update their value
// nets differ, while everything else is the same. Without bootstrapping the next actor loss
// must not notice; with it, it must.
TEST(VmailOptimizerTest, ValueNetIsTrainedButOnlySteersTheActorWhenBootstrapping) {
  torch::manual_seed(2);
  Batch replay1 = RandomBatch(), expert1 = RandomBatch();
  Batch replay2 = RandomBatch(), expert2 = RandomBatch();
  for (bool bootstrap : {false, true}) {
    Components a = MakeComponents(), b = MakeComponents();
    Given given = {{"bootstrap", bootstrap}, {"return_lambda", 0.95}};
    auto slow = MakeVmail(a, given);
    given["value_lr"] = 0.05;
    auto fast = MakeVmail(b, given);
    std::vector<Metrics> ms(2), mf(2);
    for (int i = 0; i < 2; ++i) {
      torch::manual_seed(3 + i);
      ms[i] = slow->Update(Phase::kOnline, i == 0 ? replay1 : replay2, i == 0 ? expert1 : expert2);
      torch::manual_seed(3 + i);
      mf[i] = fast->Update(Phase::kOnline, i == 0 ? replay1 : replay2, i == 0 ? expert1 : expert2);
    }
    EXPECT_EQ(ms[0].at("vmail_actor_loss"), mf[0].at("vmail_actor_loss")) << bootstrap;
    EXPECT_NE(ms[1].at("vmail_value_loss"), mf[1].at("vmail_value_loss")) << bootstrap;
    EXPECT_FALSE(Same(Under(SavedNets(*slow), "value."), Under(SavedNets(*fast), "value.")));
    if (bootstrap) {
      EXPECT_NE(ms[1].at("vmail_actor_loss"), mf[1].at("vmail_actor_loss"));
    } else {
      EXPECT_EQ(ms[1].at("vmail_actor_loss"), mf[1].at("vmail_actor_loss"));
      EXPECT_EQ(ms[1].at("vmail_return"), mf[1].at("vmail_return"));
      EXPECT_TRUE(Same(Under(SavedNets(*slow), "actor."), Under(SavedNets(*fast), "actor.")));
    }
  }
}

TEST(VmailOptimizerTest, ExplorationNoiseOnlyWhileExploring) {
  Components c = MakeComponents();
  auto vmail = MakeVmail(c);
  torch::manual_seed(5);
  vmail->Update(Phase::kOnline, RandomBatch(), RandomBatch());
  const int64_t n = 256;
  torch::Tensor observation = torch::randn({n, kState});
  torch::Tensor is_first = torch::ones({n}, torch::kBool);
  // evaluate: the same action for the same filtered state, whatever was drawn in between
  auto act = [&](Optimizer& optimizer, ActMode mode) {
    TensorMap carry = optimizer.InitialCarry(n);
    torch::manual_seed(6);  // the posterior sample of the filter
    return optimizer.Act({{"state", observation}}, is_first, carry, mode);
  };
  torch::Tensor evaluate = act(*vmail, ActMode::kEvaluate);
  torch::Tensor explore = act(*vmail, ActMode::kExplore);
  torch::Tensor explore_again = act(*vmail, ActMode::kExplore);
  EXPECT_TRUE(torch::equal(act(*vmail, ActMode::kEvaluate), evaluate));
  EXPECT_EQ(explore.sizes(), (Sizes{n, kAction}));
  EXPECT_TRUE(explore.abs().le(1).all().item<bool>());
  EXPECT_TRUE(evaluate.abs().le(1).all().item<bool>());
  EXPECT_FALSE(torch::equal(explore, evaluate));
  EXPECT_FALSE(torch::equal(explore, explore_again));
  // the noise is of the configured size (std 0.3: E|noise| = 0.24, less where clipped)
  const double size = (explore - evaluate).abs().mean().item<double>();
  EXPECT_GT(size, 0.1);
  EXPECT_LT(size, 0.35);
  // exploration_noise = 0: exploring acts as evaluating
  Components c0 = MakeComponents();
  auto quiet = MakeVmail(c0, {{"exploration_noise", 0.0}});
  EXPECT_TRUE(torch::equal(act(*quiet, ActMode::kExplore), act(*quiet, ActMode::kEvaluate)));
}

TEST(VmailOptimizerTest, SaveLoadRoundTripActsAndUpdatesIdentically) {
  Components c = MakeComponents();
  auto vmail = MakeVmail(c);
  torch::manual_seed(7);
  for (int i = 0; i < 2; ++i) vmail->Update(Phase::kOnline, RandomBatch(), RandomBatch());
  // the engine restores the components; the optimizer restores its own part
  Components fresh = MakeComponents();
  test_support::CopyParts(c, fresh);
  auto restored = MakeVmail(fresh, {}, /*seed=*/42);
  EXPECT_FALSE(Same(SavedNets(*vmail), SavedNets(*restored)));
  test_support::CopyCheckpoint(*vmail, *restored);
  EXPECT_TRUE(Same(SavedNets(*vmail), SavedNets(*restored)));
  torch::Tensor observation = torch::randn({3, kState});
  torch::Tensor is_first = torch::ones({3}, torch::kBool);
  for (ActMode mode : {ActMode::kEvaluate, ActMode::kExplore}) {
    TensorMap carry_a = vmail->InitialCarry(3), carry_b = restored->InitialCarry(3);
    torch::manual_seed(8);
    torch::Tensor a = vmail->Act({{"state", observation}}, is_first, carry_a, mode);
    torch::manual_seed(8);
    torch::Tensor b = restored->Act({{"state", observation}}, is_first, carry_b, mode);
    EXPECT_TRUE(torch::equal(a, b));
  }
  torch::manual_seed(9);
  Batch replay = RandomBatch(), expert = RandomBatch();
  test_support::ExpectSameOnlineUpdate(*vmail, *restored, replay, expert, /*seed=*/10);
  EXPECT_TRUE(Same(SavedNets(*vmail), SavedNets(*restored)));
}

// eval_actor_tau < 1: the checkpoint holds a Polyak average of the actor, which starts as the
// initial actor, moves by tau towards the trained one after every update, does not change
// training, and is what evaluation acts with (collection keeps the trained actor).
TEST(VmailOptimizerTest, EvaluationActsWithThePolyakAveragedActor) {
  const double tau = 0.25;
  Components ca = MakeComponents(), cb = MakeComponents();
  auto averaged = MakeVmail(ca, {{"eval_actor_tau", tau}});
  auto plain = MakeVmail(cb);
  const Tensors initial = Under(SavedNets(*averaged), "actor.");
  EXPECT_TRUE(Same(Under(SavedNets(*averaged), "average_actor."), initial));
  EXPECT_TRUE(Under(SavedNets(*plain), "average_actor.").empty());  // off: not in checkpoints

  torch::manual_seed(11);
  Batch replay = RandomBatch(), expert = RandomBatch();
  test_support::ExpectSameOnlineUpdate(*averaged, *plain, replay, expert, /*seed=*/12);
  const Tensors trained = Under(SavedNets(*averaged), "actor.");
  EXPECT_TRUE(Same(trained, Under(SavedNets(*plain), "actor.")));
  const Tensors average = Under(SavedNets(*averaged), "average_actor.");
  ASSERT_EQ(average.size(), initial.size());
  for (const auto& [key, value] : average) {
    torch::Tensor expected = initial.at(key) + tau * (trained.at(key) - initial.at(key));
    EXPECT_TRUE(torch::allclose(value, expected, 1e-5, 1e-6)) << key;
  }
  EXPECT_FALSE(Same(average, trained));

  // exploring acts with the trained actor, as the plain agent does; evaluating acts with the
  // average: with tau near 1 as the plain agent's trained actor, with tau near 0 as a fresh
  // agent's initial actor (same seed) on the same world model
  torch::Tensor observation = torch::randn({3, kState});
  torch::Tensor is_first = torch::ones({3}, torch::kBool);
  auto act = [&](Optimizer& optimizer, ActMode mode) {
    TensorMap carry = optimizer.InitialCarry(3);
    torch::manual_seed(13);
    return optimizer.Act({{"state", observation}}, is_first, carry, mode);
  };
  EXPECT_TRUE(torch::equal(act(*averaged, ActMode::kExplore), act(*plain, ActMode::kExplore)));
  EXPECT_FALSE(torch::equal(act(*averaged, ActMode::kEvaluate), act(*plain, ActMode::kEvaluate)));
  for (double extreme : {1e-7, 1 - 1e-7}) {
    Components c = MakeComponents();
    auto agent = MakeVmail(c, {{"eval_actor_tau", extreme}});
    torch::manual_seed(12);
    agent->Update(Phase::kOnline, replay, expert);
    auto fresh = MakeVmail(c);  // the initial actor, on the updated world model
    torch::Tensor expected =
        extreme < 0.5 ? act(*fresh, ActMode::kEvaluate) : act(*plain, ActMode::kEvaluate);
    EXPECT_TRUE(torch::allclose(act(*agent, ActMode::kEvaluate), expected, 1e-4, 1e-5)) << extreme;
  }

  EXPECT_THROW(MakePlugin<Optimizer>("vmail", "optimizer", {{"eval_actor_tau", 0.0}}), ConfigError);
}

// online_model_expert_batch: the world model also trains on the expert batch, online only.
TEST(VmailOptimizerTest, ExpertBatchJoinsTheWorldModelStepOnline) {
  test_support::ExpectExpertBatchJoinsTheWorldModelStepOnline(
      [] { return MakeComponents(); },
      [](Components& c, const Given& given) { return MakeVmail(c, given); }, RandomBatch);
}

TEST(VmailOptimizerTest, MissingRewardLearnerIsAConfigError) {
  Components c = MakeComponents(/*with_reward=*/false);
  std::string message = ErrorOf([&] { MakeVmail(c); });
  EXPECT_NE(message.find("reward learner"), std::string::npos) << message;
  EXPECT_THROW(MakeVmail(c), ConfigError);
  EXPECT_THROW(
      MakePlugin<Optimizer>("vmail", "optimizer", {{"actor_min_std", 0.5}, {"actor_max_std", 0.2}}),
      ConfigError);
}

}  // namespace
}  // namespace imitate::plugins
