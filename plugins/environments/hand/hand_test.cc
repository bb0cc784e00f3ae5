// Tests of the hand environment through its built plugin and the real loader: parameters, the
// Baoding episode (hold still, drop, action map, pixels), relocate/door resets, planning copies
// and the Environment conformance kit for each task.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/mujoco/model.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"
#include "imitate/sdk/planning.h"
#include "imitate/testing/environment_conformance.h"
#include "plugins/environments/hand/hand_layout.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::hand {
namespace {

using Given = std::map<std::string, ParamValue>;
using Strings = std::vector<std::string>;

std::unique_ptr<Environment> MakeEnv(const Given& given = {}) {
  return test_support::MakePlugin<Environment>("hand", "environment", given);
}

Given StateOnly(const char* task, Given more = {}) {
  more["task"] = std::string(task);
  more["observation"] = Strings{"state"};
  return more;
}

const MujocoEnvironment& Mj(const Environment& env) {
  return dynamic_cast<const MujocoEnvironment&>(env);
}

// uniform actions in [-1, 1] from a fixed generator
torch::Tensor RandomAction(int64_t size, torch::Generator& gen) {
  return torch::rand({size}, gen) * 2 - 1;
}

TEST(HandEnv, IsRegisteredWithItsParametersAndTaskDefaults) {
  const engine::RegistryEntry* entry =
      test_support::BuiltPlugins().Find(PluginKind::kEnvironment, "hand");
  ASSERT_NE(entry, nullptr);
  std::set<std::string> names;
  for (const ParamSpec& spec : entry->info.params) names.insert(spec.name);
  EXPECT_EQ(names, (std::set<std::string>{"task", "observation", "image_size", "camera",
                                          "episode_length", "initial_noise"}));
  auto baoding = MakeEnv();
  EXPECT_EQ(baoding->EpisodeLength(), 75);
  EXPECT_EQ(baoding->ObservationSpec().at("pixels").shape, (std::vector<int64_t>{64, 64, 3}));
  EXPECT_EQ(baoding->ActionSpec().shape, (std::vector<int64_t>{24}));
  EXPECT_EQ(Mj(*baoding).FrameSkip(), 40);
  EXPECT_EQ(baoding->Cameras(), (Strings{"cmil", "top", "side"}));
  auto relocate = MakeEnv(StateOnly("relocate"));
  EXPECT_EQ(relocate->EpisodeLength(), 200);
  EXPECT_EQ(relocate->ActionSpec().shape, (std::vector<int64_t>{30}));
  EXPECT_EQ(relocate->ObservationSpec().at("state").shape, (std::vector<int64_t>{39}));
  EXPECT_EQ(Mj(*relocate).FrameSkip(), 5);
  auto door = MakeEnv(StateOnly("door", {{"episode_length", int64_t{50}}}));
  EXPECT_EQ(door->EpisodeLength(), 50);
  EXPECT_EQ(door->ActionSpec().shape, (std::vector<int64_t>{28}));
  EXPECT_EQ(door->Cameras(), (Strings{"vil_camera", "fixed"}));
}

TEST(HandEnv, RejectsBadParameters) {
  EXPECT_THROW(MakeEnv({{"task", std::string("pen")}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"camera", std::string("fixed")}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"task", std::string("door")}, {"camera", std::string("cmil")}}),
               ConfigError);
  EXPECT_THROW(MakeEnv({{"observation", Strings{"state", "state"}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"episode_length", int64_t{-1}}}), ConfigError);
  std::string message = test_support::ErrorOf([] {
    MakeEnv({{"camera", std::string("vil_camera")}});
  });
  EXPECT_NE(message.find("environment.camera"), std::string::npos) << message;
}

// D5/D7: with a = 0 held for 75 steps both balls stay in the hand (spec: return about -33 on
// the original model)
TEST(HandEnv, BaodingHoldingStillKeepsTheBalls) {
  auto env = MakeEnv(StateOnly("baoding"));
  env->Reset(0);
  double ret = 0.0;
  int steps = 0;
  const TimeStep* t = nullptr;
  for (; steps < 75; ++steps) {
    t = &env->Step(torch::zeros({24}));
    ret += t->reward;
    if (t->is_last) break;
  }
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(steps, 74) << "the episode ended early";
  EXPECT_FALSE(t->is_terminal);
  EXPECT_EQ(t->metrics.at("dropped"), 0.0);
  EXPECT_EQ(t->metrics.at("success"), 0.0) << "holding still does not track the targets";
  const float* s = t->observation.at("state").data_ptr<float>();
  EXPECT_GT(s[kBaodingObsBall1 + 2], 0.12f);
  EXPECT_GT(s[kBaodingObsBall2 + 2], 0.12f);
  std::printf("baoding hold-still: return %.2f, mean target distance %.1f mm, balls z %.3f %.3f\n",
              ret, 1000 * t->metrics.at("mean_target_distance"), s[kBaodingObsBall1 + 2],
              s[kBaodingObsBall2 + 2]);
  EXPECT_LT(ret, -10.0);
  EXPECT_GT(ret, -80.0);
}

// D7: a ball below z 0.06 is a drop: -500, terminal, `dropped`
TEST(HandEnv, BaodingDropEndsTheEpisode) {
  auto env = MakeEnv(StateOnly("baoding"));
  env->Reset(0);
  env->Step(torch::zeros({24}));
  SimState s = env->GetState();
  s[kStateQpos + kBaodingBall1Qpos + 2] = 0.03;  // below the palm, near the floor
  env->SetState(s);
  const TimeStep& t = env->Step(torch::zeros({24}));
  EXPECT_TRUE(t.is_terminal);
  EXPECT_TRUE(t.is_last);
  EXPECT_LT(t.reward, -500.0);
  EXPECT_EQ(t.metrics.at("dropped"), 1.0);
  EXPECT_EQ(t.metrics.at("success"), 0.0);
  EXPECT_THROW(env->Step(torch::zeros({24})), UsageError);
}

// D4 through the environment: the servo targets written for a = 0 and a = +1
TEST(HandEnv, BaodingActionMapWritesRateLimitedTargets) {
  auto env = MakeEnv(StateOnly("baoding"));
  env->Reset(0);
  const mjModel* m = Mj(*env).Model();
  const mjData* d = Mj(*env).Data();
  std::vector<double> q(d->qpos, d->qpos + kHandDofs);
  env->Step(torch::zeros({24}));
  for (int j = 0; j < kHandDofs; ++j) {
    const double lo = m->actuator_ctrlrange[2 * j], hi = m->actuator_ctrlrange[2 * j + 1];
    EXPECT_NEAR(d->ctrl[j], std::clamp(kBaodingKeyframe[j], lo, hi), 1e-12) << kHandJoints[j];
  }
  q.assign(d->qpos, d->qpos + kHandDofs);
  env->Step(torch::ones({24}));
  for (int j = 0; j < kHandDofs; ++j) {
    EXPECT_LE(d->ctrl[j] - q[j], kBaodingRateLimit + 1e-12) << kHandJoints[j];
  }
}

// the CMIL view (D9): ball 1 (yellow) right of ball 2 (pink) at reset, image right side up
TEST(HandEnv, BaodingPixelsShowTheBallsFromTheCmilCamera) {
  auto env = MakeEnv({{"image_size", int64_t{64}}});
  const TimeStep& first = env->Reset(0);
  torch::Tensor image = first.observation.at("pixels");
  EXPECT_TRUE(torch::equal(image, env->Render("", 64, 64)));
  EXPECT_TRUE(torch::equal(image, env->Render("cmil", 64, 64)));
  auto c = image.to(torch::kInt32);
  auto r = c.select(2, 0), g = c.select(2, 1), b = c.select(2, 2);
  torch::Tensor yellow = (r > 150) & (g > 110) & (b < g - 50);
  torch::Tensor pink = (r > 110) & (r > g + 25) & (g > b - 5) & (g < b + 40);
  ASSERT_GT(yellow.sum().item<int64_t>(), 10) << "ball 1 not visible";
  ASSERT_GT(pink.sum().item<int64_t>(), 10) << "ball 2 not visible";
  auto column = [](const torch::Tensor& mask) {
    return mask.nonzero().select(1, 1).to(torch::kFloat64).mean().item<double>();
  };
  EXPECT_GT(column(yellow), column(pink));
  // every camera renders something
  for (const std::string& camera : env->Cameras()) {
    EXPECT_GT(env->Render(camera, 48, 48).to(torch::kFloat32).std().item<float>(), 10.0f) << camera;
  }
}

// B5/B11: reset positions vary with the seed, stay in range, and travel with the state
TEST(HandEnv, AdroitResetsAreRandomisedAndRestoredBySetState) {
  for (const char* task : {"relocate", "door"}) {
    auto env = MakeEnv(StateOnly(task));
    const int at = kStateQpos + kTaskNq[task[0] == 'r' ? 1 : 2] +
                   2 * kTaskNv[task[0] == 'r' ? 1 : 2] + kTaskNu[task[0] == 'r' ? 1 : 2];
    std::set<double> xs;
    for (uint64_t seed = 0; seed < 10; ++seed) {
      env->Reset(seed);
      SimState s = env->GetState();
      xs.insert(s[at]);
      const bool relocate = task[0] == 'r';
      for (int i = 0; i < 3; ++i) {
        const double lo = relocate ? kRelocateBallLow[i] : kDoorFrameLow[i];
        const double hi = relocate ? kRelocateBallHigh[i] : kDoorFrameHigh[i];
        EXPECT_GE(s[at + i], lo) << task;
        EXPECT_LE(s[at + i], hi) << task;
        if (relocate) {
          EXPECT_GE(s[at + 3 + i], kRelocateTargetLow[i]);
          EXPECT_LE(s[at + 3 + i], kRelocateTargetHigh[i]);
        }
      }
    }
    EXPECT_EQ(xs.size(), 10u) << task << ": positions do not vary with the seed";
    // the state carries them: a state saved under seed 1 restores seed 1's observation
    torch::Tensor obs1 = env->Reset(1).observation.at("state").clone();
    SimState saved = env->GetState();
    torch::Tensor obs2 = env->Reset(2).observation.at("state").clone();
    EXPECT_FALSE(torch::equal(obs1, obs2));
    env->SetState(saved);
    EXPECT_EQ(env->GetState(), saved) << task;
    torch::Tensor zero = torch::zeros({env->ActionSpec().Size()});
    auto other = MakeEnv(StateOnly(task));
    other->Reset(7);
    other->SetState(saved);
    EXPECT_TRUE(torch::equal(env->Step(zero).observation.at("state"),
                             other->Step(zero).observation.at("state")))
        << task;
  }
}

// the planning contract: an independent copy that replays the original after SetState
TEST(HandEnv, PlanningCopiesStepLikeTheOriginal) {
  for (const char* task : {"baoding", "relocate", "door"}) {
    auto env = MakeEnv({{"task", std::string(task)},
                        {"observation", Strings{"state", "pixels"}},
                        {"image_size", int64_t{16}}});
    auto* planning = dynamic_cast<const PlanningEnvironment*>(env.get());
    ASSERT_NE(planning, nullptr);
    std::unique_ptr<Environment> copy = planning->CloneForPlanning();
    EXPECT_EQ(copy->ObservationSpec().count("pixels"), 0u);
    EXPECT_THROW(copy->Render("", 16, 16), UsageError);
    torch::Generator gen = torch::make_generator<torch::CPUGeneratorImpl>(3);
    const int64_t size = env->ActionSpec().Size();
    env->Reset(5);
    for (int i = 0; i < 3; ++i) env->Step(RandomAction(size, gen) * 0.3);
    copy->SetState(env->GetState());  // no Reset needed
    for (int i = 0; i < 4; ++i) {
      torch::Tensor a = RandomAction(size, gen) * 0.3;
      const TimeStep& x = env->Step(a);
      const TimeStep& y = copy->Step(a);
      EXPECT_TRUE(torch::equal(x.observation.at("state"), y.observation.at("state")))
          << task << " step " << i;
      EXPECT_EQ(x.reward, y.reward) << task;
      EXPECT_EQ(x.metrics, y.metrics) << task;
    }
    EXPECT_EQ(env->GetState(), copy->GetState()) << task;
  }
}

TEST(HandEnv, BaodingConforms) {
  Given given{{"observation", Strings{"state", "pixels"}},
              {"image_size", int64_t{32}},
              {"initial_noise", 0.05},
              {"episode_length", int64_t{20}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 2);
}

TEST(HandEnv, RelocateConforms) {
  Given given = StateOnly("relocate", {{"episode_length", int64_t{40}}});
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 2);
}

TEST(HandEnv, DoorConforms) {
  Given given{{"task", std::string("door")},
              {"observation", Strings{"pixels", "state"}},
              {"image_size", int64_t{24}},
              {"episode_length", int64_t{30}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 1);
}

}  // namespace
}  // namespace imitate::plugins::hand
