#include "imitate/testing/environment_conformance.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::testing {
namespace {

constexpr uint64_t kSeed = 12345;

// a deep copy of what a TimeStep held (the environment overwrites it on the next call)
struct Record {
  TensorMap observation;
  double reward = 0.0;
  bool is_first = false;
  bool is_last = false;
  bool is_terminal = false;
  Metrics metrics;
};

Record Copy(const TimeStep& step) {
  Record r{{}, step.reward, step.is_first, step.is_last, step.is_terminal, step.metrics};
  for (const auto& [key, value] : step.observation) r.observation[key] = value.clone();
  return r;
}

std::set<std::string> Keys(const Metrics& metrics) {
  std::set<std::string> keys;
  for (const auto& [key, value] : metrics) keys.insert(key);
  return keys;
}

// uniform random actions within the action space
torch::Tensor RandomAction(const Space& space, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(space.low, space.high);
  torch::Tensor a = torch::empty(space.shape, torch::kFloat32);
  float* p = a.data_ptr<float>();
  for (int64_t i = 0; i < a.numel(); ++i) p[i] = static_cast<float>(u(rng));
  return a;
}

// keys, dtypes, shapes and finiteness of one step record
void ExpectStepValid(const ObservationSpace& spec, const TimeStep& step, const std::string& where) {
  std::set<std::string> want, got;
  for (const auto& [key, space] : spec) want.insert(key);
  for (const auto& [key, value] : step.observation) got.insert(key);
  EXPECT_EQ(want, got) << where << ": observation keys differ from ObservationSpec()";
  for (const auto& [key, value] : step.observation) {
    auto it = spec.find(key);
    if (it == spec.end()) continue;
    EXPECT_TRUE(it->second.Matches(value))
        << where << ": observation '" << key << "' is "
        << (value.defined() ? c10::toString(value.scalar_type()) + c10::str(value.sizes())
                            : std::string("undefined"))
        << ", spec says " << it->second.ToString();
    if (value.defined() && value.is_floating_point()) {
      EXPECT_TRUE(torch::isfinite(value).all().item<bool>())
          << where << ": observation '" << key << "' is not finite";
    }
  }
  EXPECT_TRUE(std::isfinite(step.reward)) << where << ": reward " << step.reward;
  for (const auto& [key, value] : step.metrics) {
    EXPECT_TRUE(std::isfinite(value)) << where << ": metric '" << key << "' = " << value;
  }
  EXPECT_TRUE(!step.is_terminal || step.is_last) << where << ": is_terminal without is_last";
}

// same keys and identical values
void ExpectSameRecord(const Record& a, const Record& b, const std::string& where) {
  ASSERT_EQ(a.observation.size(), b.observation.size()) << where;
  for (const auto& [key, value] : a.observation) {
    auto it = b.observation.find(key);
    ASSERT_NE(it, b.observation.end()) << where << ": missing '" << key << "'";
    EXPECT_TRUE(torch::equal(value, it->second))
        << where << ": observation '" << key << "' differs";
  }
  EXPECT_EQ(a.reward, b.reward) << where << ": reward differs";
  EXPECT_EQ(a.is_last, b.is_last) << where << ": is_last differs";
}

// runs `actions` from the current state and records every step
std::vector<Record> Play(Environment& env, const std::vector<torch::Tensor>& actions) {
  std::vector<Record> records;
  for (const torch::Tensor& a : actions) {
    records.push_back(Copy(env.Step(a)));
    if (records.back().is_last) break;
  }
  return records;
}

// episodes of random actions: step records, episode ends, Step after the end
void CheckEpisodes(Environment& env, int episodes) {
  const ObservationSpace& spec = env.ObservationSpec();
  std::mt19937_64 rng(kSeed);
  for (int e = 0; e < episodes; ++e) {
    const std::string episode = "episode " + std::to_string(e);
    const TimeStep& first = env.Reset(kSeed + static_cast<uint64_t>(e));
    ExpectStepValid(spec, first, episode + " Reset");
    EXPECT_TRUE(first.is_first) << episode << ": Reset without is_first";
    EXPECT_FALSE(first.is_last) << episode << ": Reset with is_last";
    const std::set<std::string> metric_keys = Keys(first.metrics);
    int64_t steps = 0;
    bool last = false;
    while (!last) {
      const TimeStep& step = env.Step(RandomAction(env.ActionSpec(), rng));
      ++steps;
      const std::string where = episode + " step " + std::to_string(steps);
      ExpectStepValid(spec, step, where);
      EXPECT_FALSE(step.is_first) << where << ": is_first after Step";
      EXPECT_EQ(Keys(step.metrics), metric_keys) << where << ": metric keys changed";
      last = step.is_last;
      if (last && !step.is_terminal) {
        EXPECT_EQ(steps, env.EpisodeLength()) << where << ": time-limit end before the limit";
      }
      ASSERT_LE(steps, env.EpisodeLength()) << where << ": no is_last at EpisodeLength()";
    }
    EXPECT_THROW(env.Step(RandomAction(env.ActionSpec(), rng)), UsageError)
        << episode << ": Step after is_last did not throw UsageError";
  }
}

// two fresh environments agree on a seed; two seeds differ
void CheckDeterminism(const EnvironmentFactory& make) {
  std::unique_ptr<Environment> a = make(), b = make();
  std::mt19937_64 rng(kSeed + 1);
  std::vector<torch::Tensor> actions;
  for (int64_t i = 0; i < a->EpisodeLength(); ++i) {
    actions.push_back(RandomAction(a->ActionSpec(), rng));
  }
  ExpectSameRecord(Copy(a->Reset(7)), Copy(b->Reset(7)), "same seed, Reset");
  std::vector<Record> ra = Play(*a, actions), rb = Play(*b, actions);
  ASSERT_EQ(ra.size(), rb.size()) << "same seed: episode lengths differ";
  for (size_t i = 0; i < ra.size(); ++i) {
    ExpectSameRecord(ra[i], rb[i], "same seed, step " + std::to_string(i + 1));
  }
  // different seeds: some observation key differs
  Record first_a = Copy(a->Reset(1)), first_b = Copy(b->Reset(2));
  bool differ = false;
  for (const auto& [key, value] : first_a.observation) {
    differ = differ || !torch::equal(value, first_b.observation.at(key));
  }
  EXPECT_TRUE(differ) << "seeds 1 and 2 give the same first observation";
}

// a saved state replays the same steps, here and in another environment
void CheckState(const EnvironmentFactory& make) {
  std::unique_ptr<Environment> env = make();
  std::mt19937_64 rng(kSeed + 2);
  const int64_t length = env->EpisodeLength();
  const int64_t before = length / 2, k = std::min<int64_t>(5, length - before);
  env->Reset(3);
  for (int64_t i = 0; i < before; ++i) {
    // a task that ended early by itself leaves nothing to replay from the middle
    if (env->Step(RandomAction(env->ActionSpec(), rng)).is_last) return;
  }
  const SimState saved = env->GetState();
  std::vector<torch::Tensor> actions;
  for (int64_t i = 0; i < k; ++i) actions.push_back(RandomAction(env->ActionSpec(), rng));
  std::vector<Record> reference = Play(*env, actions);
  // back in the same environment
  env->SetState(saved);
  std::vector<Record> again = Play(*env, actions);
  ASSERT_EQ(reference.size(), again.size()) << "SetState: episode lengths differ";
  for (size_t i = 0; i < reference.size(); ++i) {
    ExpectSameRecord(reference[i], again[i], "SetState, step " + std::to_string(i + 1));
  }
  // in another environment that was reset with another seed
  std::unique_ptr<Environment> other = make();
  other->Reset(4);
  other->SetState(saved);
  std::vector<Record> elsewhere = Play(*other, actions);
  ASSERT_EQ(reference.size(), elsewhere.size()) << "SetState elsewhere: lengths differ";
  for (size_t i = 0; i < reference.size(); ++i) {
    ExpectSameRecord(reference[i], elsewhere[i],
                     "SetState in another environment, step " + std::to_string(i + 1));
  }
}

// rendered sizes and cameras
void CheckRender(Environment& env) {
  env.Reset(5);
  for (auto [w, h] : {std::pair{32, 24}, std::pair{48, 40}}) {
    torch::Tensor image = env.Render("", w, h);
    ASSERT_TRUE(image.defined());
    EXPECT_EQ(image.scalar_type(), torch::kUInt8);
    EXPECT_EQ(image.sizes(), (std::vector<int64_t>{h, w, 3}))
        << "Render(\"\", " << w << ", " << h << ")";
  }
  for (const std::string& camera : env.Cameras()) {
    torch::Tensor image = env.Render(camera, 16, 16);
    EXPECT_EQ(image.sizes(), (std::vector<int64_t>{16, 16, 3})) << "camera " << camera;
  }
  EXPECT_THROW(env.Render("no-such-camera", 16, 16), UsageError);
}

}  // namespace

void ExpectEnvironmentConforms(const EnvironmentFactory& make, int episodes) {
  std::unique_ptr<Environment> env = make();
  ASSERT_NE(env, nullptr);
  // the action space
  const Space& action = env->ActionSpec();
  EXPECT_EQ(action.dtype, torch::kFloat32) << "action space " << action.ToString();
  EXPECT_EQ(action.shape.size(), 1u) << "action space " << action.ToString();
  EXPECT_TRUE(std::isfinite(action.low) && std::isfinite(action.high) && action.low < action.high)
      << "action space " << action.ToString();
  EXPECT_FALSE(env->ObservationSpec().empty()) << "no observation keys";
  EXPECT_GE(env->EpisodeLength(), 1);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  // the contract, one part at a time
  CheckEpisodes(*env, episodes);
  CheckDeterminism(make);
  CheckState(make);
  CheckRender(*env);
}

}  // namespace imitate::testing
