// Tests of the point_mass environment, loaded from its built plugin through the real loader.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/planning.h"
#include "imitate/testing/environment_conformance.h"
#include "plugins/environments/point_mass/point_mass_model.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::point_mass {
namespace {

using Given = std::map<std::string, ParamValue>;

std::unique_ptr<Environment> MakeEnv(const Given& given = {}) {
  return test_support::MakePlugin<Environment>("point_mass", "environment", given);
}

// places the mass and the target (SimState layout of point_mass_model.h)
void Place(Environment& env, double x, double y, double target_x, double target_y) {
  SimState s = env.GetState();
  s[kStateQpos] = x;
  s[kStateQpos + 1] = y;
  s[kStateQvel] = s[kStateQvel + 1] = 0.0;
  s[kStateTarget] = target_x;
  s[kStateTarget + 1] = target_y;
  env.SetState(s);
}

// pixel masks of the mass (red) and the target (green)
torch::Tensor Red(const torch::Tensor& image) {
  auto c = image.to(torch::kInt32);
  auto r = c.select(2, 0), g = c.select(2, 1), b = c.select(2, 2);
  return (r > g + 60) & (r > b + 60);
}
torch::Tensor Green(const torch::Tensor& image) {
  auto c = image.to(torch::kInt32);
  auto r = c.select(2, 0), g = c.select(2, 1), b = c.select(2, 2);
  return (g > r + 60) & (g > b + 60);
}

// mean row and column of a mask's true pixels
std::pair<double, double> Centroid(const torch::Tensor& mask) {
  auto idx = mask.nonzero().to(torch::kFloat64);
  if (idx.size(0) == 0) return {-1, -1};
  return {idx.select(1, 0).mean().item<double>(), idx.select(1, 1).mean().item<double>()};
}

TEST(PointMassEnv, IsRegisteredWithItsParameters) {
  const engine::RegistryEntry* entry =
      test_support::BuiltPlugins().Find(PluginKind::kEnvironment, "point_mass");
  ASSERT_NE(entry, nullptr);
  std::set<std::string> names;
  for (const ParamSpec& spec : entry->info.params) names.insert(spec.name);
  EXPECT_EQ(names,
            (std::set<std::string>{"episode_length", "frame_skip", "observation", "image_size",
                                   "camera", "success_radius", "target_range", "start_range"}));
}

TEST(PointMassEnv, ConformsWithState) {
  testing::ExpectEnvironmentConforms([] { return MakeEnv(); }, 3);
}

TEST(PointMassEnv, ConformsWithPixelsAndState) {
  Given given{{"observation", std::vector<std::string>{"pixels", "state"}},
              {"image_size", int64_t{32}},
              {"episode_length", int64_t{20}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 2);
}

TEST(PointMassEnv, ConformsWithPixelsFromTheAngledCamera) {
  Given given{{"observation", std::vector<std::string>{"pixels"}},
              {"camera", std::string("angled")},
              {"episode_length", int64_t{10}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 1);
}

TEST(PointMassEnv, StateObservationLayout) {
  auto env = MakeEnv();
  const TimeStep& first = env->Reset(11);
  SimState s = env->GetState();
  auto obs = first.observation.at("state");
  EXPECT_FLOAT_EQ(obs[kObsPos].item<float>(), static_cast<float>(s[kStateQpos]));
  EXPECT_FLOAT_EQ(obs[kObsPos + 1].item<float>(), static_cast<float>(s[kStateQpos + 1]));
  EXPECT_FLOAT_EQ(obs[kObsTarget].item<float>(), static_cast<float>(s[kStateTarget]));
  EXPECT_FLOAT_EQ(obs[kObsTarget + 1].item<float>(), static_cast<float>(s[kStateTarget + 1]));
  EXPECT_EQ(s[kStateStep], 0.0);
  EXPECT_EQ(s[kStateEnded], 0.0);
  // pushing +x moves the mass towards +x
  const TimeStep& step = env->Step(torch::tensor({1.0f, 0.0f}));
  EXPECT_GT(step.observation.at("state")[kObsVel].item<float>(), 0.1f);
  EXPECT_NEAR(step.reward, -step.metrics.at("distance"), 1e-12);
}

TEST(PointMassEnv, PixelsAreRightSideUp) {
  auto env = MakeEnv({{"observation", std::vector<std::string>{"pixels"}}});
  const TimeStep& first = env->Reset(0);
  // the observation is the default camera's rendering
  EXPECT_TRUE(torch::equal(first.observation.at("pixels"), env->Render("", 64, 64)));
  // mass north-east (+x, +y), target south-west: red top right, green bottom left
  Place(*env, 0.2, 0.2, -0.2, -0.2);
  torch::Tensor image = env->Render("top", 64, 64);
  auto [red_row, red_col] = Centroid(Red(image));
  auto [green_row, green_col] = Centroid(Green(image));
  ASSERT_GE(red_row, 0) << "the mass is not visible";
  ASSERT_GE(green_row, 0) << "the target is not visible";
  EXPECT_LT(red_row, 32);
  EXPECT_GT(red_col, 32);
  EXPECT_GT(green_row, 32);
  EXPECT_LT(green_col, 32);
  // the next observation shows the same (a zero action barely moves a resting mass)
  const TimeStep& step = env->Step(torch::zeros({2}));
  auto [obs_row, obs_col] = Centroid(Red(step.observation.at("pixels")));
  EXPECT_NEAR(obs_row, red_row, 1.0);
  EXPECT_NEAR(obs_col, red_col, 1.0);
}

TEST(PointMassEnv, BothCamerasShowTheMass) {
  auto env = MakeEnv();
  env->Reset(1);
  Place(*env, 0.1, 0.0, -0.1, 0.0);
  EXPECT_EQ(env->Cameras(), (std::vector<std::string>{"top", "angled"}));
  torch::Tensor top = env->Render("top", 96, 64);
  torch::Tensor angled = env->Render("angled", 96, 64);
  EXPECT_EQ(top.sizes(), (std::vector<int64_t>{64, 96, 3}));
  EXPECT_GT(Red(top).sum().item<int64_t>(), 4);
  EXPECT_GT(Red(angled).sum().item<int64_t>(), 4);
  EXPECT_GT(Green(angled).sum().item<int64_t>(), 4);
  EXPECT_FALSE(torch::equal(top, angled));
  // larger than the image_size buffer: it grows
  EXPECT_EQ(env->Render("angled", 300, 200).sizes(), (std::vector<int64_t>{200, 300, 3}));
}

TEST(PointMassEnv, SuccessMeansWithinTheRadius) {
  auto env = MakeEnv();
  env->Reset(2);
  Place(*env, 0.05, 0.05, 0.05, 0.05);
  const TimeStep& near = env->Step(torch::zeros({2}));
  EXPECT_LT(near.metrics.at("distance"), 0.01);
  EXPECT_EQ(near.metrics.at("success"), 1.0);
  Place(*env, 0.05, 0.05, 0.05, 0.07);
  const TimeStep& far = env->Step(torch::zeros({2}));
  EXPECT_NEAR(far.metrics.at("distance"), 0.02, 1e-3);
  EXPECT_EQ(far.metrics.at("success"), 0.0);
}

TEST(PointMassEnv, StepsWriteInPlaceAndEndAtTheLimit) {
  auto env = MakeEnv({{"episode_length", int64_t{3}}});
  const TimeStep* first = &env->Reset(3);
  void* data = first->observation.at("state").data_ptr();
  for (int i = 0; i < 3; ++i) {
    const TimeStep& step = env->Step(torch::tensor({0.5f, -2.0f}));
    EXPECT_EQ(&step, first);
    EXPECT_EQ(step.observation.at("state").data_ptr(), data);
    EXPECT_EQ(step.is_last, i == 2);
    EXPECT_EQ(env->GetState()[kStateCtrl + 1], -1.0) << "the action is clipped";
  }
  try {
    env->Step(torch::zeros({2}));
    FAIL() << "Step after the end did not throw";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "point_mass: Step after the episode ended; call Reset");
  }
  EXPECT_THROW(MakeEnv()->Step(torch::zeros({2})), UsageError);
  env->Reset(3);
  EXPECT_THROW(env->Step(torch::zeros({3})), UsageError);
  EXPECT_THROW(env->SetState({1.0, 2.0}), UsageError);
}

TEST(PointMassEnv, PlanningCopiesFollowTheOriginal) {
  // pixels and state, a short episode: the copy observes state only and ends where it does
  auto env = MakeEnv({{"episode_length", int64_t{6}},
                      {"observation", std::vector<std::string>{"pixels", "state"}}});
  const auto* planning = dynamic_cast<const PlanningEnvironment*>(env.get());
  ASSERT_NE(planning, nullptr);
  std::unique_ptr<Environment> copy = planning->CloneForPlanning();
  EXPECT_EQ(copy->ObservationSpec().count("pixels"), 0u);
  EXPECT_EQ(copy->EpisodeLength(), 6);
  env->Reset(4);
  env->Step(torch::tensor({0.3f, -0.7f}));
  copy->SetState(env->GetState());
  for (int i = 0; i < 5; ++i) {
    torch::Tensor a = torch::tensor({0.9f - 0.3f * i, 0.2f * i});
    const TimeStep& mine = copy->Step(a);
    const TimeStep& theirs = env->Step(a);
    EXPECT_EQ(mine.reward, theirs.reward) << i;
    EXPECT_EQ(mine.is_last, theirs.is_last) << i;
    EXPECT_TRUE(torch::equal(mine.observation.at("state"), theirs.observation.at("state"))) << i;
  }
  EXPECT_TRUE(copy->GetState() == env->GetState());
}

TEST(PointMassEnv, RejectsBadParameters) {
  EXPECT_THROW(MakeEnv({{"image_size", int64_t{4}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"camera", std::string("side")}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"observation", std::vector<std::string>{"state", "state"}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"observation", std::vector<std::string>{"rgb"}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"target_range", 0.5}}), ConfigError);
}

// not a timed test: prints the pixel-observation step rate for information
TEST(PointMassEnv, ReportsPixelStepRate) {
  auto env = MakeEnv({{"observation", std::vector<std::string>{"pixels"}}});
  env->Reset(4);
  torch::Tensor action = torch::zeros({2});
  int steps = 0;
  auto start = std::chrono::steady_clock::now();
  for (int e = 0; e < 4; ++e) {
    for (const TimeStep* t = &env->Reset(e); !t->is_last; ++steps) t = &env->Step(action);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("point_mass pixels 64x64: %.0f steps/s (%d steps)\n", steps / seconds, steps);
}

}  // namespace
}  // namespace imitate::plugins::point_mass
