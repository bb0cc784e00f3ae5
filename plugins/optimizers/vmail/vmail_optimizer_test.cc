// Tests of the `vmail` optimizer, built with the mlp encoder, rssm dynamics and the
// discriminator, all loaded from the built plugin libraries through the real loader.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/reward_learner.h"
#include "tests/support/batch_util.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::ErrorOf;
using test_support::FirstSteps;
using test_support::JoinBatches;
using test_support::MakePlugin;
using Given = std::map<std::string, ParamValue>;
using Sizes = std::vector<int64_t>;
using Tensors = std::map<std::string, torch::Tensor>;

constexpr int64_t kState = 5;
constexpr int64_t kAction = 2;
constexpr int64_t kBatch = 4;
constexpr int64_t kSteps = 6;
const std::vector<int64_t> kHidden = {32};

// ----- helpers ----- //

ObservationSpace TestSpace() { return {{"state", Space{torch::kFloat32, {kState}}}}; }

// The components of an agent, created and built as engine/run/agent.cc does; every set made
// with the same arguments starts from the same weights.
struct Components {
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Dynamics> dynamics;
  std::unique_ptr<RewardLearner> reward;
};

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
  c.encoder->Build(TestSpace(), c.dynamics->FeatureSize());
  c.dynamics->Build(c.encoder->EmbeddingSize(), kAction);
  if (c.reward) c.reward->Build(c.dynamics->FeatureSize(), kAction);
  return c;
}

// A vmail optimizer with small networks (and `given` on top) built on `c`.
std::unique_ptr<Optimizer> MakeVmail(Components& c, Given given = {}, uint64_t seed = 1) {
  given.emplace("actor_hidden", kHidden);
  given.emplace("value_hidden", kHidden);
  given.emplace("horizon", int64_t{4});
  auto vmail = MakePlugin<Optimizer>("vmail", "optimizer", given);
  AgentComponents components;
  components.observation_space = TestSpace();
  components.action_space = Space{torch::kFloat32, {kAction}};
  components.encoder = c.encoder.get();
  components.dynamics = c.dynamics.get();
  components.reward = c.reward.get();
  components.seed = seed;
  vmail->Build(components);
  return vmail;
}

// Windows [B, T] from the global generator, shaped as optimizer.h documents: row 1 starts a new
// episode at t = 3 (its action there is zero), and actions[t + 1] follow states[t].
Batch RandomBatch() {
  Batch b;
  torch::Tensor state = torch::randn({kBatch, kSteps, kState});
  b.observation["state"] = state;
  b.action = torch::zeros({kBatch, kSteps, kAction});
  b.action.slice(1, 1) = torch::tanh(state.slice(1, 0, kSteps - 1).slice(2, 0, kAction) +
                                     0.1 * torch::randn({kBatch, kSteps - 1, kAction}));
  b.reward = torch::zeros({kBatch, kSteps});
  b.is_first = torch::zeros({kBatch, kSteps}, torch::kBool);
  b.is_first.select(1, 0).fill_(true);
  b.is_first[1][3] = true;
  b.action[1][3].zero_();
  b.is_last = torch::zeros({kBatch, kSteps}, torch::kBool);
  b.is_terminal = torch::zeros({kBatch, kSteps}, torch::kBool);
  return b;
}

// Every tensor under a (module) archive, by dotted path.
void Flatten(torch::serialize::InputArchive& archive, const std::string& prefix, Tensors& out) {
  for (const std::string& key : archive.keys()) {
    c10::IValue value;
    archive.read(key, value);
    if (value.isTensor()) {
      out[prefix + key] = value.toTensor().clone();
      continue;
    }
    torch::serialize::InputArchive child;
    if (archive.try_read(key, child)) Flatten(child, prefix + key + ".", out);
  }
}

// The optimizer's networks as its checkpoint holds them ("actor.net.layers.0.weight", ...).
Tensors SavedNets(Optimizer& optimizer) {
  torch::serialize::OutputArchive out;
  optimizer.Save(out);
  std::stringstream stream;
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  torch::serialize::InputArchive nets;
  in.read("vmail_nets", nets);
  Tensors flat;
  Flatten(nets, "", flat);
  return flat;
}

// The entries of `all` whose path starts with `prefix`, with the prefix removed.
Tensors Under(const Tensors& all, const std::string& prefix) {
  Tensors out;
  for (const auto& [key, value] : all) {
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = value;
  }
  return out;
}

// Whether two maps hold the same keys and bit-identical tensors.
bool Same(const Tensors& a, const Tensors& b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end() || !torch::equal(value, it->second)) return false;
  }
  return true;
}

// Whether every tensor of `after` differs from the one of `before` (every layer moved).
bool AllChanged(const Tensors& before, const Tensors& after) {
  if (before.size() != after.size() || before.empty()) return false;
  for (const auto& [key, value] : before) {
    if (torch::equal(value, after.at(key))) return false;
  }
  return true;
}

// Copies a module's state into another of the same architecture, through a checkpoint.
void CopyModule(torch::nn::Module& from, torch::nn::Module& to) {
  torch::serialize::OutputArchive out;
  from.save(out);
  std::stringstream stream;
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  to.load(in);
}

// Copies of the world model's parameters (the encoder's, then the dynamics').
Tensors ModelParameters(Components& c) {
  Tensors out;
  for (auto* module : {c.encoder->Module().get(), c.dynamics->Module().get()}) {
    const std::string prefix = module == c.encoder->Module().get() ? "encoder." : "dynamics.";
    for (const auto& item : module->named_parameters()) {
      out[prefix + item.key()] = item.value().detach().clone();
    }
  }
  return out;
}

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
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    vmail->Save(archive);
    archive.save_to(stream);
  }
  // the engine restores the components; the optimizer restores its own part
  Components fresh = MakeComponents();
  CopyModule(*c.encoder->Module(), *fresh.encoder->Module());
  CopyModule(*c.dynamics->Module(), *fresh.dynamics->Module());
  CopyModule(*c.reward->Module(), *fresh.reward->Module());
  auto restored = MakeVmail(fresh, {}, /*seed=*/42);
  EXPECT_FALSE(Same(SavedNets(*vmail), SavedNets(*restored)));
  {
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    restored->Load(archive);
  }
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
  torch::manual_seed(10);
  Metrics ma = vmail->Update(Phase::kOnline, replay, expert);
  torch::manual_seed(10);
  Metrics mb = restored->Update(Phase::kOnline, replay, expert);
  EXPECT_EQ(ma, mb);
  EXPECT_TRUE(Same(SavedNets(*vmail), SavedNets(*restored)));
}

// online_model_expert_batch: online, the model's step is the step on the replay and expert
// sequences together (an agent given them joined as its replay batch), and only online.
TEST(VmailOptimizerTest, ExpertBatchJoinsTheWorldModelStepOnline) {
  Components a = MakeComponents(), b = MakeComponents(), c = MakeComponents();
  auto joined = MakeVmail(a, {{"online_model_expert_batch", true}});
  auto reference = MakeVmail(b);
  auto plain = MakeVmail(c);
  torch::manual_seed(11);
  const Batch replay = RandomBatch(), expert = RandomBatch();
  torch::manual_seed(12);
  joined->Update(Phase::kPretrain, replay, expert);
  torch::manual_seed(12);
  plain->Update(Phase::kPretrain, replay, expert);
  ASSERT_TRUE(Same(ModelParameters(a), ModelParameters(c)));
  torch::manual_seed(12);
  reference->Update(Phase::kPretrain, replay, expert);

  torch::manual_seed(13);
  Metrics joined_metrics = joined->Update(Phase::kOnline, replay, expert);
  torch::manual_seed(13);
  Metrics reference_metrics =
      reference->Update(Phase::kOnline, JoinBatches(replay, expert), expert);
  torch::manual_seed(13);
  plain->Update(Phase::kOnline, replay, expert);
  EXPECT_EQ(joined_metrics.at("wm_loss"), reference_metrics.at("wm_loss"));
  const Tensors with_expert = ModelParameters(a);
  const Tensors joined_replay = ModelParameters(b);
  for (const auto& [key, value] : with_expert) {
    EXPECT_TRUE(torch::allclose(value, joined_replay.at(key), 1e-6, 1e-7)) << key;
  }
  EXPECT_FALSE(Same(with_expert, ModelParameters(c)));
  for (const auto& [key, value] : joined_metrics) EXPECT_TRUE(std::isfinite(value)) << key;
  std::string error =
      ErrorOf([&] { joined->Update(Phase::kOnline, replay, FirstSteps(expert, kSteps - 1)); });
  EXPECT_NE(error.find("online_model_expert_batch"), std::string::npos) << error;
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
