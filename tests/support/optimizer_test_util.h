// Helpers for tests of the latent agents' optimizers (cmil, vmail): their parts built as
// engine/run/agent.cc builds them, windows of random data, their networks' tensors as maps, and
// the checks the optimizers share.
#ifndef IMITATE_TESTS_SUPPORT_OPTIMIZER_TEST_UTIL_H_
#define IMITATE_TESTS_SUPPORT_OPTIMIZER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/reward_learner.h"
#include "tests/support/batch_util.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::test_support {

using Tensors = std::map<std::string, torch::Tensor>;
using Given = std::map<std::string, ParamValue>;

// ----- building agents ----- //

// The components an optimizer is built on (the reward learner may be absent).
struct AgentParts {
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Dynamics> dynamics;
  std::unique_ptr<RewardLearner> reward;
};

// Builds the parts on `space` and `action` action numbers, in the engine's order.
inline void BuildParts(AgentParts& parts, const ObservationSpace& space, int64_t action) {
  parts.encoder->Build(space, parts.dynamics->FeatureSize());
  parts.dynamics->Build(parts.encoder->EmbeddingSize(), action);
  if (parts.reward) parts.reward->Build(parts.dynamics->FeatureSize(), action);
}

// The optimizer plugin `kind` with `given` parameters, built on `parts`.
inline std::unique_ptr<Optimizer> BuildOptimizer(const std::string& kind, AgentParts& parts,
                                                 const ObservationSpace& space, int64_t action,
                                                 const Given& given, uint64_t seed) {
  auto optimizer = MakePlugin<Optimizer>(kind, "optimizer", given);
  AgentComponents components;
  components.observation_space = space;
  components.action_space = Space{torch::kFloat32, {action}};
  components.encoder = parts.encoder.get();
  components.dynamics = parts.dynamics.get();
  components.reward = parts.reward.get();
  components.seed = seed;
  optimizer->Build(components);
  return optimizer;
}

// An optimizer with the parts it was built on (it holds pointers to them).
struct TestAgent {
  AgentParts parts;
  std::unique_ptr<Optimizer> optimizer;
};

// ----- data ----- //

// Windows [batch, steps] of a `state`-number observation from the global generator, shaped as
// optimizer.h documents: row 1 starts a new episode at t = 3 (its action there is zero), and
// actions[t + 1] follow states[t].
inline Batch RandomWindows(int64_t batch, int64_t steps, int64_t state, int64_t action) {
  Batch b;
  torch::Tensor states = torch::randn({batch, steps, state});
  b.observation["state"] = states;
  b.action = torch::zeros({batch, steps, action});
  b.action.slice(1, 1) = torch::tanh(states.slice(1, 0, steps - 1).slice(2, 0, action) +
                                     0.1 * torch::randn({batch, steps - 1, action}));
  b.reward = torch::zeros({batch, steps});
  b.is_first = torch::zeros({batch, steps}, torch::kBool);
  b.is_first.select(1, 0).fill_(true);
  b.is_first[1][3] = true;
  b.action[1][3].zero_();
  b.is_last = torch::zeros({batch, steps}, torch::kBool);
  b.is_terminal = torch::zeros({batch, steps}, torch::kBool);
  return b;
}

// ----- networks as maps of tensors ----- //

// What `out` holds, written to memory and read back as a checkpoint is loaded.
inline torch::serialize::InputArchive Reread(torch::serialize::OutputArchive& out) {
  std::stringstream stream;
  out.save_to(stream);
  torch::serialize::InputArchive in;
  in.load_from(stream);
  return in;
}

// Every tensor under a (module) archive, by dotted path.
inline void Flatten(torch::serialize::InputArchive& archive, const std::string& prefix,
                    Tensors& out) {
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

// The optimizer's networks as its checkpoint holds them under `nets_key`
// ("actor.net.layers.0.weight", ...).
inline Tensors SavedNets(Optimizer& optimizer, const std::string& nets_key) {
  torch::serialize::OutputArchive out;
  optimizer.Save(out);
  torch::serialize::InputArchive in = Reread(out);
  torch::serialize::InputArchive nets;
  in.read(nets_key, nets);
  Tensors flat;
  Flatten(nets, "", flat);
  return flat;
}

// The entries of `all` whose path starts with `prefix`, with the prefix removed.
inline Tensors Under(const Tensors& all, const std::string& prefix) {
  Tensors out;
  for (const auto& [key, value] : all) {
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = value;
  }
  return out;
}

// Copies of the parameters of a module.
inline Tensors Parameters(torch::nn::Module& module) {
  Tensors out;
  for (const auto& item : module.named_parameters()) {
    out[item.key()] = item.value().detach().clone();
  }
  return out;
}

// Copies of the world model's parameters ("encoder.*", then "dynamics.*").
inline Tensors WorldModelParameters(AgentParts& parts) {
  Tensors out;
  for (const auto& [key, value] : Parameters(*parts.encoder->Module())) {
    out["encoder." + key] = value;
  }
  for (const auto& [key, value] : Parameters(*parts.dynamics->Module())) {
    out["dynamics." + key] = value;
  }
  return out;
}

// Whether two maps hold the same keys and bit-identical tensors.
inline bool Same(const Tensors& a, const Tensors& b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    if (it == b.end() || !torch::equal(value, it->second)) return false;
  }
  return true;
}

// Whether every tensor of `after` differs from the one of `before` (every layer moved).
inline bool AllChanged(const Tensors& before, const Tensors& after) {
  if (before.size() != after.size() || before.empty()) return false;
  for (const auto& [key, value] : before) {
    if (torch::equal(value, after.at(key))) return false;
  }
  return true;
}

// Copies a module's state into another of the same architecture, through a checkpoint.
inline void CopyModule(torch::nn::Module& from, torch::nn::Module& to) {
  torch::serialize::OutputArchive out;
  from.save(out);
  torch::serialize::InputArchive in = Reread(out);
  to.load(in);
}

// The components' state of `from` copied into `to` (as the engine restores them from a run's
// checkpoint before the optimizer's own part).
inline void CopyParts(AgentParts& from, AgentParts& to) {
  CopyModule(*from.encoder->Module(), *to.encoder->Module());
  CopyModule(*from.dynamics->Module(), *to.dynamics->Module());
  if (from.reward) CopyModule(*from.reward->Module(), *to.reward->Module());
}

// Both optimizers take one online update on the same batches from the same global generator
// state (`seed`), and their metrics must match.
inline void ExpectSameOnlineUpdate(Optimizer& a, Optimizer& b, const Batch& replay,
                                   const Batch& expert, uint64_t seed) {
  torch::manual_seed(seed);
  Metrics ma = a.Update(Phase::kOnline, replay, expert);
  torch::manual_seed(seed);
  Metrics mb = b.Update(Phase::kOnline, replay, expert);
  EXPECT_EQ(ma, mb);
}

// `to` loads the checkpoint `from` saves now (the optimizer's own part of a run's checkpoint).
inline void CopyCheckpoint(Optimizer& from, Optimizer& to) {
  torch::serialize::OutputArchive out;
  from.Save(out);
  torch::serialize::InputArchive in = Reread(out);
  to.Load(in);
}

// ----- shared checks ----- //

// `online_model_expert_batch`: online, the world model's step is the step of an agent given the
// replay and expert sequences joined as its replay batch; offline the option changes nothing;
// batches of different lengths are a one-line error naming the option. `make_parts()` gives
// parts of the same weights every call, `make_optimizer(parts, given)` builds the optimizer on
// them, and `random_batch()` draws windows from the global generator.
inline void ExpectExpertBatchJoinsTheWorldModelStepOnline(
    const std::function<AgentParts()>& make_parts,
    const std::function<std::unique_ptr<Optimizer>(AgentParts&, const Given&)>& make_optimizer,
    const std::function<Batch()>& random_batch) {
  auto make = [&](const Given& given) {
    TestAgent agent{make_parts(), nullptr};
    agent.optimizer = make_optimizer(agent.parts, given);
    return agent;
  };
  TestAgent joined = make({{"online_model_expert_batch", true}});
  TestAgent reference = make({});  // given the joined batch as its replay batch
  TestAgent authors = make({});
  // offline the option changes nothing: the model trains on the replay batch
  torch::manual_seed(71);
  Batch replay = random_batch(), expert = random_batch();
  for (TestAgent* agent : {&joined, &authors, &reference}) {
    torch::manual_seed(72);
    agent->optimizer->Update(Phase::kPretrain, replay, expert);
  }
  ASSERT_TRUE(Same(WorldModelParameters(joined.parts), WorldModelParameters(authors.parts)));

  // online its step is the step on the replay and expert sequences together
  torch::manual_seed(73);
  replay = random_batch();
  expert = random_batch();
  torch::manual_seed(74);
  Metrics joined_metrics = joined.optimizer->Update(Phase::kOnline, replay, expert);
  torch::manual_seed(74);
  Metrics reference_metrics =
      reference.optimizer->Update(Phase::kOnline, JoinBatches(replay, expert), expert);
  torch::manual_seed(74);
  authors.optimizer->Update(Phase::kOnline, replay, expert);
  EXPECT_EQ(joined_metrics.at("wm_loss"), reference_metrics.at("wm_loss"));
  const Tensors with_expert = WorldModelParameters(joined.parts);
  const Tensors joined_replay = WorldModelParameters(reference.parts);
  for (const auto& [key, value] : with_expert) {
    EXPECT_TRUE(torch::allclose(value, joined_replay.at(key), 1e-6, 1e-7)) << key;
  }
  EXPECT_FALSE(Same(with_expert, WorldModelParameters(authors.parts)));
  // the rest of the update reads the replay posteriors only: the metrics are finite
  for (const auto& [key, value] : joined_metrics) EXPECT_TRUE(std::isfinite(value)) << key;

  // the two batches must have sequences of one length
  const Batch short_expert = FirstSteps(expert, expert.action.size(1) - 1);
  std::string error =
      ErrorOf([&] { joined.optimizer->Update(Phase::kOnline, replay, short_expert); });
  EXPECT_NE(error.find("online_model_expert_batch"), std::string::npos) << error;
}

}  // namespace imitate::test_support

#endif  // IMITATE_TESTS_SUPPORT_OPTIMIZER_TEST_UTIL_H_
