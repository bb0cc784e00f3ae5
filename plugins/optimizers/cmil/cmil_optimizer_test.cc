// Tests of the `cmil` optimizer, built with the mlp encoder, rssm_ensemble dynamics and the
// discriminator, all loaded from the built plugin libraries through the real loader.
#include "plugins/optimizers/cmil/cmil_optimizer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
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
#include "plugins/common/imagine.h"
#include "plugins/common/policy.h"
#include "tests/support/optimizer_test_util.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins {
namespace {

using test_support::AllChanged;
using test_support::ErrorOf;
using test_support::Given;
using test_support::MakePlugin;
using test_support::Parameters;
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
constexpr int64_t kStoch = 8;
constexpr int64_t kDeter = 16;
constexpr int64_t kMembers = 3;
const std::vector<int64_t> kHidden = {32};

// ----- helpers ----- //

ObservationSpace TestSpace() { return {{"state", Space{torch::kFloat32, {kState}}}}; }

// The components of an agent; every set made with the same arguments starts from the same
// weights.
Components MakeComponents(const std::string& dynamics = "rssm_ensemble", bool with_reward = true) {
  torch::manual_seed(0);
  Components c;
  c.encoder = MakePlugin<Encoder>("mlp", "encoder", {{"hidden", kHidden}});
  Given dynamics_params = {{"stoch", kStoch}, {"deter", kDeter}, {"hidden", int64_t{32}}};
  if (dynamics == "rssm_ensemble") dynamics_params.emplace("members", kMembers);
  c.dynamics = MakePlugin<Dynamics>(dynamics, "dynamics", dynamics_params);
  if (with_reward)
    c.reward = MakePlugin<RewardLearner>("discriminator", "reward", {{"hidden", kHidden}});
  test_support::BuildParts(c, TestSpace(), kAction);
  return c;
}

// A cmil optimizer with small networks (and `given` on top) built on `c`.
std::unique_ptr<Optimizer> MakeCmil(Components& c, Given given = {}, uint64_t seed = 1) {
  given.emplace("actor_hidden", kHidden);
  given.emplace("critic_hidden", kHidden);
  given.emplace("horizon", int64_t{4});
  return test_support::BuildOptimizer("cmil", c, TestSpace(), kAction, given, seed);
}

// Windows [kBatch, kSteps] from the global generator (test_support::RandomWindows).
Batch RandomBatch() { return test_support::RandomWindows(kBatch, kSteps, kState, kAction); }

// The optimizer's networks as its checkpoint holds them ("actor.net.layers.0.weight", ...).
Tensors SavedNets(Optimizer& optimizer) { return test_support::SavedNets(optimizer, "cmil_nets"); }

// ----- registration and updates ----- //

TEST(CmilOptimizerTest, RegistersNeedingEncoderDynamicsAndReward) {
  const engine::RegistryEntry* entry =
      test_support::BuiltPlugins().Find(PluginKind::kOptimizer, "cmil");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->info.requires_components,
            (std::vector<std::string>{"encoder", "dynamics", "reward"}));
}

TEST(CmilOptimizerTest, EveryPhaseUpdatesWithFiniteMetrics) {
  Components c = MakeComponents();
  auto cmil = MakeCmil(c);
  torch::manual_seed(3);
  for (Phase phase : {Phase::kPretrain, Phase::kOnline}) {
    Metrics m = cmil->Update(phase, RandomBatch(), RandomBatch());
    for (const char* key : {"cmil_actor_loss",
                            "cmil_critic_model_loss",
                            "cmil_critic_real_loss",
                            "cmil_bc_nll",
                            "cmil_reward",
                            "cmil_discriminator_reward",
                            "cmil_uncertainty",
                            "cmil_q",
                            "cmil_return",
                            "cmil_policy_entropy",
                            "cmil_actor_grad_norm",
                            "cmil_actor_bc_grad_norm",
                            "cmil_actor_rl_grad_norm",
                            "cmil_critic_grad_norm",
                            "cmil_discriminator_grad_norm",
                            "wm_loss",
                            "wm_kl",
                            "wm_recon_state",
                            "wm_disagreement_data",
                            "discriminator/loss",
                            "discriminator/expert_accuracy"}) {
      ASSERT_EQ(m.count(key), 1u) << key;
      EXPECT_TRUE(std::isfinite(m.at(key))) << key << " = " << m.at(key);
    }
    EXPECT_GT(m.at("cmil_critic_real_loss"), 0.0);
  }
  Metrics bc = cmil->Update(Phase::kBehaviorCloning, Batch{}, RandomBatch());
  for (const char* key : {"cmil_bc_nll", "wm_loss"}) {
    ASSERT_EQ(bc.count(key), 1u) << key;
    EXPECT_TRUE(std::isfinite(bc.at(key))) << key;
  }
  EXPECT_EQ(bc.count("cmil_actor_loss"), 0u);
}

// ----- the conservative reward ----- //

TEST(CmilOptimizerTest, ConservativeRewardPenalisesTheStateEachStepLeadsTo) {
  // H = 2 steps, N = 2 rollouts; uncertainty of states 0 (the start), 1, 2
  torch::Tensor reward = torch::tensor({{0.5, 0.9}, {0.25, 0.1}});
  torch::Tensor uncertainty = torch::tensor({{7.0, 7.0}, {0.1, 0.0}, {0.2, 0.3}});
  // r_0 = 0.5 - 2 * 0.1, 0.9 - 2 * 0; r_1 = 0.25 - 2 * 0.2, 0.1 - 2 * 0.3
  EXPECT_TRUE(torch::allclose(ConservativeReward(reward, uncertainty, 2.0),
                              torch::tensor({{0.3, 0.9}, {-0.15, -0.5}})));
  // without a penalty: the discriminator's reward itself, no uncertainty needed
  EXPECT_TRUE(ConservativeReward(reward, torch::Tensor(), 0.0).is_same(reward));
}

TEST(CmilOptimizerTest, RewardIsTheDiscriminatorMinusThePenalisedDisagreement) {
  const double penalty = 10.0;
  Components c = MakeComponents();
  auto cmil = MakeCmil(c, {{"uncertainty_penalty", penalty}});
  torch::manual_seed(4);
  Batch replay = RandomBatch(), expert = RandomBatch();
  Metrics m = cmil->Update(Phase::kPretrain, replay, expert);
  // means are linear: mean(sigmoid(D) - penalty * u) = mean(sigmoid(D)) - penalty * mean(u)
  EXPECT_GT(m.at("cmil_uncertainty"), 0.0);  // the fresh heads disagree
  EXPECT_NEAR(m.at("cmil_reward"),
              m.at("cmil_discriminator_reward") - penalty * m.at("cmil_uncertainty"),
              1e-5 * (1 + penalty * m.at("cmil_uncertainty")));
  EXPECT_LT(m.at("cmil_reward"), m.at("cmil_discriminator_reward"));
  // uncertainty_penalty = 0: the reward is sigmoid(D), and the disagreement is not computed
  Components c0 = MakeComponents();
  auto plain = MakeCmil(c0, {{"uncertainty_penalty", 0.0}});
  torch::manual_seed(4);
  Metrics m0 = plain->Update(Phase::kPretrain, replay, expert);
  EXPECT_EQ(m0.at("cmil_reward"), m0.at("cmil_discriminator_reward"));
  EXPECT_EQ(m0.count("cmil_uncertainty"), 0u);
}

// ----- what each loss trains ----- //

TEST(CmilOptimizerTest, ImaginedStatesCarryActorGradientsThroughTheDynamics) {
  Components c = MakeComponents();
  auto* ensemble = dynamic_cast<EnsembleDynamics*>(c.dynamics.get());
  ASSERT_NE(ensemble, nullptr);
  ActorConfig config;
  config.input_size = c.dynamics->FeatureSize();
  config.action_size = kAction;
  config.hidden = kHidden;
  config.distribution = ActionDistKind::kTruncNormal;
  Actor actor(config);
  // start states: posteriors of a batch, detached as the optimizer's are
  torch::manual_seed(5);
  Batch batch = RandomBatch();
  torch::Tensor embedding = c.encoder->Encode(batch.observation);
  ObserveOutput filtered = c.dynamics->Observe(embedding, batch.action, batch.is_first,
                                               c.dynamics->Initial(kBatch, torch::kCPU));
  LatentState start = FlattenTime(filtered.posterior.Detach());
  at::Generator generator = at::detail::createCPUGenerator(6);
  Imagined imagined = Imagine(*c.dynamics, actor, start, 3, /*with_uncertainty=*/true, generator);
  EXPECT_EQ(imagined.features.sizes(), (Sizes{4, kBatch * kSteps, kStoch + kDeter}));
  EXPECT_EQ(imagined.uncertainty.sizes(), (Sizes{4, kBatch * kSteps}));
  // the uncertainty of state i is the ensemble disagreement at its deterministic state
  for (int64_t i = 1; i <= 3; ++i) {
    torch::Tensor deter = imagined.features[i].slice(-1, kStoch);
    EXPECT_TRUE(torch::allclose(imagined.uncertainty[i], ensemble->Disagreement(deter), 1e-5, 1e-6))
        << i;
  }
  EXPECT_TRUE(imagined.uncertainty[0].eq(0).all().item<bool>());
  // the policy reads sg(x_i), so imagined states and their disagreement depend on the actor only
  // through the actions fed to the dynamics
  std::vector<torch::Tensor> actor_params = actor->parameters();
  for (const torch::Tensor& target :
       {imagined.features.slice(0, 1).sum(), imagined.uncertainty.slice(0, 1).sum()}) {
    std::vector<torch::Tensor> grads = torch::autograd::grad(
        {target}, actor_params, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
    double norm = 0;
    for (const torch::Tensor& g : grads) norm += g.defined() ? g.square().sum().item<double>() : 0;
    EXPECT_GT(norm, 0.0);
    EXPECT_TRUE(std::isfinite(norm));
  }
  // the start state carries none
  std::vector<torch::Tensor> start_grads =
      torch::autograd::grad({imagined.features[0].sum()}, actor_params, {}, true, false, true);
  for (const torch::Tensor& g : start_grads) {
    EXPECT_TRUE(!g.defined() || g.eq(0).all().item<bool>());
  }
}

// A full update and a BC update both begin with the same world-model step on the same batch; if
// the discriminator, actor and critic losses of the full update left the world model alone, the
// two agents' world models are bit-identical afterwards.
TEST(CmilOptimizerTest, FullUpdateTrainsTheWorldModelOnlyInItsOwnStep) {
  torch::manual_seed(7);
  Batch replay = RandomBatch(), expert = RandomBatch();
  Components a = MakeComponents(), b = MakeComponents();
  auto full = MakeCmil(a);
  auto bc = MakeCmil(b);
  const Tensors model_before = WorldModelParameters(a);
  ASSERT_TRUE(Same(model_before, WorldModelParameters(b)));
  const Tensors nets_before = SavedNets(*full);
  const Tensors discriminator_before = Parameters(*a.reward->Module());
  torch::manual_seed(8);
  full->Update(Phase::kPretrain, replay, expert);
  torch::manual_seed(8);
  bc->Update(Phase::kBehaviorCloning, Batch{}, replay);  // its world-model step is on `replay`
  const Tensors model_after = WorldModelParameters(a);
  EXPECT_TRUE(AllChanged(model_before, model_after));
  EXPECT_TRUE(Same(model_after, WorldModelParameters(b)));
  // while the actor, critics and discriminator did train
  const Tensors nets_after = SavedNets(*full);
  EXPECT_TRUE(AllChanged(Under(nets_before, "actor."), Under(nets_after, "actor.")));
  EXPECT_TRUE(AllChanged(Under(nets_before, "critic1."), Under(nets_after, "critic1.")));
  EXPECT_TRUE(AllChanged(Under(nets_before, "critic2."), Under(nets_after, "critic2.")));
  EXPECT_TRUE(AllChanged(discriminator_before, Parameters(*a.reward->Module())));
}

TEST(CmilOptimizerTest, OnlineModelEveryPacesTheWorldModelOnline) {
  // N = 2: pretraining always trains the model; online, updates 1, 3, ... do and 2, 4, ... don't
  Components c = MakeComponents();
  auto cmil = MakeCmil(c, {{"online_model_every", int64_t{2}}});
  torch::manual_seed(21);
  Tensors before = WorldModelParameters(c);
  cmil->Update(Phase::kPretrain, RandomBatch(), RandomBatch());
  EXPECT_TRUE(AllChanged(before, WorldModelParameters(c)));
  for (int update = 1; update <= 3; ++update) {
    before = WorldModelParameters(c);
    const Tensors nets_before = SavedNets(*cmil);
    Metrics metrics = cmil->Update(Phase::kOnline, RandomBatch(), RandomBatch());
    const bool trained = update % 2 == 1;
    EXPECT_EQ(AllChanged(before, WorldModelParameters(c)), trained) << update;
    EXPECT_EQ(Same(before, WorldModelParameters(c)), !trained) << update;
    EXPECT_EQ(metrics.count("wm_loss"), trained ? 1u : 0u) << update;
    // the behaviour trains every time
    EXPECT_TRUE(AllChanged(Under(nets_before, "actor."), Under(SavedNets(*cmil), "actor.")));
  }
  // the clock survives a checkpoint: the restored agent's next (4th) update skips the model
  Components fresh = MakeComponents();
  auto restored = MakeCmil(fresh, {{"online_model_every", int64_t{2}}});
  test_support::CopyCheckpoint(*cmil, *restored);
  before = WorldModelParameters(fresh);
  restored->Update(Phase::kOnline, RandomBatch(), RandomBatch());
  EXPECT_TRUE(Same(before, WorldModelParameters(fresh)));

  // N = 0: the model of the offline phases stays fixed online
  Components d = MakeComponents();
  auto frozen = MakeCmil(d, {{"online_model_every", int64_t{0}}});
  before = WorldModelParameters(d);
  for (int update = 0; update < 2; ++update) {
    frozen->Update(Phase::kOnline, RandomBatch(), RandomBatch());
  }
  EXPECT_TRUE(Same(before, WorldModelParameters(d)));
}

// online_model_tau < 1: the model's parameters (what imagination, the discriminator's inputs and
// acting read) are a slow copy; the trained (fast) copy is the tau = 1 agent's model exactly,
// since the world-model step comes first in an update and depends only on the model and batch
TEST(CmilOptimizerTest, SlowWorldModelFollowsTheTrainedOneOnline) {
  constexpr double kTau = 0.25;
  Components a = MakeComponents(), b = MakeComponents();
  auto authors = MakeCmil(a);
  auto slow = MakeCmil(b, {{"online_model_tau", kTau}});
  // pretraining trains the model itself, as before
  torch::manual_seed(31);
  Batch replay = RandomBatch(), expert = RandomBatch();
  torch::manual_seed(32);
  authors->Update(Phase::kPretrain, replay, expert);
  torch::manual_seed(32);
  slow->Update(Phase::kPretrain, replay, expert);
  ASSERT_TRUE(Same(WorldModelParameters(a), WorldModelParameters(b)));

  // online: slow_k = (1 - tau) slow_{k-1} + tau fast_k, fast_k = the authors' model after k steps
  for (int update = 1; update <= 2; ++update) {
    torch::manual_seed(40 + update);
    replay = RandomBatch();
    expert = RandomBatch();
    const Tensors slow_before = WorldModelParameters(b);
    torch::manual_seed(50 + update);
    Metrics authors_metrics = authors->Update(Phase::kOnline, replay, expert);
    torch::manual_seed(50 + update);
    Metrics slow_metrics = slow->Update(Phase::kOnline, replay, expert);
    const Tensors fast = WorldModelParameters(a);
    const Tensors slow_after = WorldModelParameters(b);
    EXPECT_EQ(slow_metrics.at("wm_loss"), authors_metrics.at("wm_loss")) << update;
    EXPECT_TRUE(AllChanged(slow_before, slow_after)) << update;
    for (const auto& [key, value] : slow_after) {
      torch::Tensor expected = (1 - kTau) * slow_before.at(key) + kTau * fast.at(key);
      EXPECT_TRUE(torch::allclose(value, expected, 1e-5, 1e-6)) << key << " at update " << update;
    }
  }

  // the fast copy is in the checkpoint: a restored agent's next update matches the original's
  Components c = MakeComponents();
  auto restored = MakeCmil(c, {{"online_model_tau", kTau}});
  test_support::CopyParts(b, c);
  test_support::CopyCheckpoint(*slow, *restored);
  torch::manual_seed(60);
  replay = RandomBatch();
  expert = RandomBatch();
  torch::manual_seed(61);
  slow->Update(Phase::kOnline, replay, expert);
  torch::manual_seed(61);
  restored->Update(Phase::kOnline, replay, expert);
  const Tensors original = WorldModelParameters(b);
  const Tensors reloaded = WorldModelParameters(c);
  for (const auto& [key, value] : original) {
    EXPECT_TRUE(torch::allclose(value, reloaded.at(key), 1e-6, 1e-7)) << key;
  }

  // tau = 0: the model of the offline phases stays while its fast copy trains
  Components d = MakeComponents();
  auto fixed = MakeCmil(d, {{"online_model_tau", 0.0}});
  const Tensors offline = WorldModelParameters(d);
  for (int update = 0; update < 2; ++update) {
    Metrics metrics = fixed->Update(Phase::kOnline, RandomBatch(), RandomBatch());
    EXPECT_EQ(metrics.count("wm_loss"), 1u);
  }
  EXPECT_TRUE(Same(offline, WorldModelParameters(d)));
}

// online_model_expert_batch (test_support has the check cmil and vmail share).
TEST(CmilOptimizerTest, ExpertBatchJoinsTheWorldModelStepOnline) {
  test_support::ExpectExpertBatchJoinsTheWorldModelStepOnline(
      [] { return MakeComponents(); },
      [](Components& c, const Given& given) { return MakeCmil(c, given); }, RandomBatch);
}

TEST(CmilOptimizerTest, TargetCriticsChangeOnlyAtTheCopyInterval) {
  Components c = MakeComponents();
  auto cmil = MakeCmil(c, {{"target_update_every", int64_t{3}}});
  Tensors start = SavedNets(*cmil);
  const Tensors targets = Under(start, "target1.");
  const Tensors targets2 = Under(start, "target2.");
  // the targets start as copies of the critics
  EXPECT_TRUE(Same(targets, Under(start, "critic1.")));
  EXPECT_TRUE(Same(targets2, Under(start, "critic2.")));
  torch::manual_seed(9);
  for (int update = 1; update <= 3; ++update) {
    cmil->Update(Phase::kOnline, RandomBatch(), RandomBatch());
    Tensors nets = SavedNets(*cmil);
    if (update < 3) {
      EXPECT_TRUE(Same(Under(nets, "target1."), targets)) << update;
      EXPECT_TRUE(Same(Under(nets, "target2."), targets2)) << update;
      EXPECT_TRUE(AllChanged(targets, Under(nets, "critic1."))) << update;
    } else {
      EXPECT_TRUE(AllChanged(targets, Under(nets, "target1.")));
      EXPECT_TRUE(Same(Under(nets, "target1."), Under(nets, "critic1.")));
      EXPECT_TRUE(Same(Under(nets, "target2."), Under(nets, "critic2.")));
    }
  }
}

TEST(CmilOptimizerTest, BehaviorCloningPhaseTrainsOnlyTheActorAndTheWorldModel) {
  Components c = MakeComponents();
  auto cmil = MakeCmil(c, {{"bc_weight", 0.0}});
  const Tensors nets_before = SavedNets(*cmil);
  const Tensors model_before = WorldModelParameters(c);
  const Tensors discriminator_before = Parameters(*c.reward->Module());
  torch::manual_seed(10);
  Batch expert = RandomBatch();
  Metrics first = cmil->Update(Phase::kBehaviorCloning, Batch{}, expert);
  const Tensors nets_after = SavedNets(*cmil);
  EXPECT_TRUE(AllChanged(Under(nets_before, "actor."), Under(nets_after, "actor.")));
  EXPECT_TRUE(AllChanged(model_before, WorldModelParameters(c)));
  for (const char* critic : {"critic1.", "critic2.", "target1.", "target2."}) {
    EXPECT_TRUE(Same(Under(nets_before, critic), Under(nets_after, critic))) << critic;
  }
  EXPECT_TRUE(Same(discriminator_before, Parameters(*c.reward->Module())));
  EXPECT_TRUE(std::isfinite(first.at("cmil_bc_nll")));
}

// Two identical agents whose expert batches differ only in their actions. The expert pairs feed
// the discriminator's loss and the BC term; the imagined pairs (and so the reward, the critics'
// values and the rest of the actor loss) do not depend on them, since every gradient is taken
// before any step. So the actor losses differ by exactly bc_weight times the BC terms.
TEST(CmilOptimizerTest, BcWeightZeroDropsTheExpertTermFromTheActorLoss) {
  torch::manual_seed(11);
  Batch replay = RandomBatch(), expert = RandomBatch();
  Batch other = expert;
  other.action = expert.action.clone();
  other.action.slice(1, 1) = -other.action.slice(1, 1);
  for (double bc_weight : {0.0, 10.0}) {
    Components a = MakeComponents(), b = MakeComponents();
    auto cmil_a = MakeCmil(a, {{"bc_weight", bc_weight}});
    auto cmil_b = MakeCmil(b, {{"bc_weight", bc_weight}});
    torch::manual_seed(12);
    Metrics ma = cmil_a->Update(Phase::kPretrain, replay, expert);
    torch::manual_seed(12);
    Metrics mb = cmil_b->Update(Phase::kPretrain, replay, other);
    EXPECT_NE(ma.at("cmil_bc_nll"), mb.at("cmil_bc_nll"));
    const double gap = std::abs(ma.at("cmil_actor_loss") - mb.at("cmil_actor_loss"));
    if (bc_weight == 0) {
      EXPECT_LT(gap, 1e-6 * (1 + std::abs(ma.at("cmil_actor_loss"))));
    } else {
      EXPECT_NEAR(gap, bc_weight * std::abs(ma.at("cmil_bc_nll") - mb.at("cmil_bc_nll")),
                  1e-4 * (1 + gap));
    }
    // the actor gradient splits into the BC term's and the rest, which the expert actions
    // do not touch; the whole is within the triangle inequality of the two
    const double rl = ma.at("cmil_actor_rl_grad_norm"), bc = ma.at("cmil_actor_bc_grad_norm");
    EXPECT_NEAR(rl, mb.at("cmil_actor_rl_grad_norm"), 1e-4 * (1 + rl));
    EXPECT_GT(rl, 0.0);
    if (bc_weight == 0) {
      EXPECT_EQ(bc, 0.0);
    } else {
      EXPECT_GT(bc, 0.0);
    }
    const double whole = ma.at("cmil_actor_grad_norm");
    EXPECT_LE(whole, bc + rl + 1e-5 * (1 + whole));
    EXPECT_GE(whole, std::abs(bc - rl) - 1e-5 * (1 + whole));
  }
}

// ----- acting and checkpoints ----- //

TEST(CmilOptimizerTest, ActGivesBoundedActionsAndResetsAtEpisodeStarts) {
  Components c = MakeComponents();
  auto cmil = MakeCmil(c, {{"evaluate_with", std::string("mode")}});
  torch::manual_seed(13);
  cmil->Update(Phase::kPretrain, RandomBatch(), RandomBatch());
  const int64_t n = 3;
  TensorMap carry = cmil->InitialCarry(n);
  for (const char* key : {"deter", "stoch", "action"}) EXPECT_EQ(carry.count(key), 1u) << key;
  torch::Tensor observation = torch::randn({n, kState});
  for (int step = 0; step < 5; ++step) {
    torch::Tensor is_first = torch::full({n}, step == 0, torch::kBool);
    ActMode mode = step % 2 == 0 ? ActMode::kExplore : ActMode::kEvaluate;
    torch::Tensor action = cmil->Act({{"state", torch::randn({n, kState})}}, is_first, carry, mode);
    EXPECT_EQ(action.sizes(), (Sizes{n, kAction}));
    EXPECT_EQ(action.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(action.device().is_cpu());
    EXPECT_TRUE(action.abs().le(1).all().item<bool>()) << action;
    EXPECT_TRUE(torch::equal(carry.at("action").cpu(), action));
  }
  // rows 0 and 2 start episodes: they act as from a fresh carry, row 1 goes on
  torch::Tensor first = torch::tensor({true, false, true});
  TensorMap fresh = cmil->InitialCarry(n);
  torch::manual_seed(14);
  torch::Tensor from_fresh = cmil->Act({{"state", observation}}, torch::ones({n}, torch::kBool),
                                       fresh, ActMode::kEvaluate);
  torch::manual_seed(14);
  torch::Tensor from_reset = cmil->Act({{"state", observation}}, first, carry, ActMode::kEvaluate);
  for (int64_t row : {0, 2}) {
    EXPECT_TRUE(torch::allclose(from_reset[row], from_fresh[row], 0, 1e-6)) << row;
  }
  EXPECT_FALSE(torch::allclose(from_reset[1], from_fresh[1], 0, 1e-6));
  // evaluation with the mode does not read the private generator; exploration does
  TensorMap again = cmil->InitialCarry(n);
  cmil->Act({{"state", observation}}, first, again, ActMode::kExplore);
  again = cmil->InitialCarry(n);
  torch::manual_seed(14);
  EXPECT_TRUE(torch::equal(cmil->Act({{"state", observation}}, torch::ones({n}, torch::kBool),
                                     again, ActMode::kEvaluate),
                           from_fresh));
}

TEST(CmilOptimizerTest, SaveLoadRoundTripActsAndUpdatesIdentically) {
  Components c = MakeComponents();
  auto cmil =
      MakeCmil(c, {{"evaluate_with", std::string("mode")}, {"target_update_every", int64_t{3}}});
  torch::manual_seed(15);
  for (int i = 0; i < 2; ++i) cmil->Update(Phase::kOnline, RandomBatch(), RandomBatch());
  // the engine saves the components; the optimizer saves its own part
  Components fresh = MakeComponents();
  test_support::CopyParts(c, fresh);
  auto restored =
      MakeCmil(fresh, {{"evaluate_with", std::string("mode")}, {"target_update_every", int64_t{3}}},
               /*seed=*/99);
  EXPECT_FALSE(Same(SavedNets(*cmil), SavedNets(*restored)));
  test_support::CopyCheckpoint(*cmil, *restored);
  EXPECT_TRUE(Same(SavedNets(*cmil), SavedNets(*restored)));
  // the same actions (the mode, and samples from the restored generator)
  torch::Tensor observation = torch::randn({3, kState});
  torch::Tensor is_first = torch::ones({3}, torch::kBool);
  for (ActMode mode : {ActMode::kEvaluate, ActMode::kExplore}) {
    TensorMap carry_a = cmil->InitialCarry(3), carry_b = restored->InitialCarry(3);
    torch::manual_seed(16);
    torch::Tensor a = cmil->Act({{"state", observation}}, is_first, carry_a, mode);
    torch::manual_seed(16);
    torch::Tensor b = restored->Act({{"state", observation}}, is_first, carry_b, mode);
    EXPECT_TRUE(torch::equal(a, b));
  }
  // the next update matches (Adam moments, target clock: update 3 copies the targets)
  torch::manual_seed(17);
  Batch replay = RandomBatch(), expert = RandomBatch();
  test_support::ExpectSameOnlineUpdate(*cmil, *restored, replay, expert, /*seed=*/18);
  Tensors nets = SavedNets(*restored);
  EXPECT_TRUE(Same(Under(nets, "target1."), Under(nets, "critic1.")));
  EXPECT_TRUE(Same(nets, SavedNets(*cmil)));
  // a checkpoint without cmil's archives is a data error
  torch::serialize::OutputArchive empty_out;
  empty_out.write("unrelated", torch::zeros({1}));
  std::stringstream empty_stream;
  empty_out.save_to(empty_stream);
  torch::serialize::InputArchive empty_in;
  empty_in.load_from(empty_stream);
  EXPECT_THROW(restored->Load(empty_in), DataError);
}

// ----- configuration errors ----- //

TEST(CmilOptimizerTest, UncertaintyPenaltyNeedsAnEnsemble) {
  Components single = MakeComponents("rssm");
  std::string message = ErrorOf([&] { MakeCmil(single); });
  EXPECT_NE(message.find("uncertainty_penalty"), std::string::npos) << message;
  EXPECT_NE(message.find("rssm_ensemble"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_THROW(MakeCmil(single), ConfigError);
  // without the penalty a single-head model works
  auto plain = MakeCmil(single, {{"uncertainty_penalty", 0.0}});
  torch::manual_seed(19);
  Metrics m = plain->Update(Phase::kPretrain, RandomBatch(), RandomBatch());
  EXPECT_TRUE(std::isfinite(m.at("cmil_actor_loss")));
  EXPECT_EQ(m.at("cmil_reward"), m.at("cmil_discriminator_reward"));
}

TEST(CmilOptimizerTest, MissingComponentsAreConfigErrors) {
  Components no_reward = MakeComponents("rssm_ensemble", /*with_reward=*/false);
  std::string message = ErrorOf([&] { MakeCmil(no_reward); });
  EXPECT_NE(message.find("reward learner"), std::string::npos) << message;
  EXPECT_THROW(MakeCmil(no_reward), ConfigError);
  // no dynamics
  auto cmil = MakePlugin<Optimizer>("cmil", "optimizer", {});
  AgentComponents components;
  components.action_space = Space{torch::kFloat32, {kAction}};
  components.encoder = no_reward.encoder.get();
  EXPECT_THROW(cmil->Build(components), ConfigError);
  EXPECT_THROW(cmil->Update(Phase::kOnline, Batch{}, Batch{}), UsageError);
  // bad values
  EXPECT_THROW(MakePlugin<Optimizer>("cmil", "optimizer", {{"bc_lr", 0.0}}), ConfigError);
  EXPECT_THROW(
      MakePlugin<Optimizer>("cmil", "optimizer", {{"actor_min_std", 0.5}, {"actor_max_std", 0.2}}),
      ConfigError);
}

}  // namespace
}  // namespace imitate::plugins
