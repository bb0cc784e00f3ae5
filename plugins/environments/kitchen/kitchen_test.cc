// Tests of the kitchen environment through its built plugin and the real loader: the
// Environment contract, episode and reward bookkeeping, cameras and images.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/testing/environment_conformance.h"
#include "plugins/environments/kitchen/kitchen_layout.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::kitchen {
namespace {

using Given = std::map<std::string, ParamValue>;
using Strings = std::vector<std::string>;

std::unique_ptr<Environment> MakeEnv(const Given& given = {}) {
  return test_support::MakePlugin<Environment>("kitchen", "environment", given);
}

// sets object qpos entries (index -> value) in the saved state and restores it
void SetObjects(Environment& env, const std::map<int, double>& values) {
  SimState s = env.GetState();
  for (const auto& [index, value] : values) s[kStateQpos + index] = value;
  env.SetState(s);
}

// pixels whose colour is the kettle's orange
torch::Tensor Orange(const torch::Tensor& image) {
  auto c = image.to(torch::kInt32);
  auto r = c.select(2, 0), g = c.select(2, 1), b = c.select(2, 2);
  return (r > g + 40) & (g > b + 40) & (r > 120);
}

TEST(KitchenEnv, IsRegisteredWithItsParameters) {
  const engine::RegistryEntry* entry =
      test_support::BuiltPlugins().Find(PluginKind::kEnvironment, "kitchen");
  ASSERT_NE(entry, nullptr);
  std::set<std::string> names;
  for (const ParamSpec& spec : entry->info.params) names.insert(spec.name);
  EXPECT_EQ(names, (std::set<std::string>{"tasks", "observation", "image_size", "camera",
                                          "observation_noise", "initial_noise", "episode_length"}));
  auto env = MakeEnv();
  EXPECT_EQ(env->EpisodeLength(), 280);
  EXPECT_EQ(env->ObservationSpec().at("pixels").shape, (std::vector<int64_t>{64, 64, 3}));
  EXPECT_EQ(env->ActionSpec().shape, (std::vector<int64_t>{9}));
}

TEST(KitchenEnv, ConformsWithState) {
  Given given{{"observation", Strings{"state"}}, {"episode_length", int64_t{60}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 2);
}

TEST(KitchenEnv, ConformsWithPixelsAndState) {
  Given given{{"observation", Strings{"pixels", "state"}}, {"episode_length", int64_t{30}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 1);
}

// pixels alone: the original start is fixed, so seeds differ only with initial noise
TEST(KitchenEnv, ConformsWithPixelsFromAnotherCamera) {
  Given given{{"camera", std::string("rpl")},
              {"image_size", int64_t{32}},
              {"initial_noise", 0.05},
              {"episode_length", int64_t{20}}};
  testing::ExpectEnvironmentConforms([given] { return MakeEnv(given); }, 1);
}

TEST(KitchenEnv, PixelsAreRightSideUp) {
  auto env = MakeEnv();
  const TimeStep& first = env->Reset(0);
  EXPECT_TRUE(torch::equal(first.observation.at("pixels"), env->Render("", 64, 64)));
  EXPECT_TRUE(torch::equal(first.observation.at("pixels"), env->Render("paper", 64, 64)));
  // the kettle stands on the stove below the view centre of the paper camera
  torch::Tensor image = env->Render("paper", 64, 64);
  torch::Tensor mask = Orange(image);
  ASSERT_GT(mask.sum().item<int64_t>(), 10) << "the kettle is not visible";
  double row = mask.nonzero().select(1, 0).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(row, 34.0);
  // lifting the kettle 0.4 m moves it up in the image
  SetObjects(*env, {{kKettlePosQpos + 2, kInitQpos[kKettlePosQpos + 2] + 0.4}});
  torch::Tensor lifted = Orange(env->Render("paper", 64, 64));
  ASSERT_GT(lifted.sum().item<int64_t>(), 10);
  EXPECT_LT(lifted.nonzero().select(1, 0).to(torch::kFloat64).mean().item<double>(), row - 3);
}

TEST(KitchenEnv, EveryCameraRendersTheScene) {
  auto env = MakeEnv({{"observation", Strings{"state"}}});
  env->Reset(1);
  std::vector<std::string> cameras = env->Cameras();
  EXPECT_EQ(cameras.size(), static_cast<size_t>(kNumCameras));
  EXPECT_EQ(cameras.front(), "paper");
  for (const std::string& camera : cameras) {
    torch::Tensor image = env->Render(camera, 80, 60);
    EXPECT_EQ(image.sizes(), (std::vector<int64_t>{60, 80, 3}));
    EXPECT_GT(image.to(torch::kFloat32).std().item<float>(), 15.0f) << camera << " is flat";
  }
  EXPECT_THROW(env->Render("nope", 16, 16), UsageError);
  EXPECT_EQ(env->Render("overview", 300, 200).sizes(), (std::vector<int64_t>{200, 300, 3}));
}

TEST(KitchenEnv, StepsWriteInPlaceAndEndAtTheLimit) {
  auto env = MakeEnv({{"observation", Strings{"state", "pixels"}}, {"episode_length", int64_t{3}}});
  const TimeStep* first = &env->Reset(3);
  void* state = first->observation.at("state").data_ptr();
  void* pixels = first->observation.at("pixels").data_ptr();
  for (int i = 0; i < 3; ++i) {
    const TimeStep& step = env->Step(torch::full({9}, 3.0f));
    EXPECT_EQ(&step, first);
    EXPECT_EQ(step.observation.at("state").data_ptr(), state);
    EXPECT_EQ(step.observation.at("pixels").data_ptr(), pixels);
    EXPECT_EQ(step.is_last, i == 2);
    EXPECT_FALSE(step.is_terminal);
  }
  EXPECT_THROW(env->Step(torch::zeros({9})), UsageError);
  EXPECT_THROW(MakeEnv()->Step(torch::zeros({9})), UsageError);
  env->Reset(3);
  EXPECT_THROW(env->Step(torch::zeros({7})), UsageError);
  EXPECT_THROW(env->Step(torch::full({9}, NAN)), UsageError);
  EXPECT_THROW(env->SetState({1.0, 2.0}), UsageError);
}

TEST(KitchenEnv, EachTaskPaysOnceAndAllEndTheEpisode) {
  auto env = MakeEnv({{"observation", Strings{"state"}},
                      {"tasks", Strings{"microwave", "slide_cabinet"}},
                      {"observation_noise", 0.0}});
  const TimeStep& first = env->Reset(4);
  EXPECT_EQ(first.metrics.at("tasks_completed"), 0.0);
  EXPECT_EQ(first.metrics.count("task_kettle"), 0u);
  SetObjects(*env, {{kMicrowaveQpos, -0.75}});
  const TimeStep& one = env->Step(torch::zeros({9}));
  EXPECT_EQ(one.reward, 1.0);
  EXPECT_EQ(one.metrics.at("task_microwave"), 1.0);
  EXPECT_EQ(one.metrics.at("task_slide_cabinet"), 0.0);
  EXPECT_EQ(one.metrics.at("success"), 0.0);
  EXPECT_FALSE(one.is_last);
  EXPECT_EQ(env->Step(torch::zeros({9})).reward, 0.0) << "a task pays once";
  // undoing it is not penalised; the second task ends the episode
  SetObjects(*env, {{kMicrowaveQpos, 0.0}, {kSlideCabinetQpos, 0.37}});
  const TimeStep& two = env->Step(torch::zeros({9}));
  EXPECT_EQ(two.reward, 1.0);
  EXPECT_EQ(two.metrics.at("tasks_completed"), 2.0);
  EXPECT_EQ(two.metrics.at("success"), 1.0);
  EXPECT_TRUE(two.is_last);
  EXPECT_TRUE(two.is_terminal);
  EXPECT_THROW(env->Step(torch::zeros({9})), UsageError);
  // Reset restores the to-do list
  EXPECT_EQ(env->Reset(4).metrics.at("tasks_completed"), 0.0);
}

TEST(KitchenEnv, RejectsBadParameters) {
  EXPECT_THROW(MakeEnv({{"image_size", int64_t{4}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"camera", std::string("side")}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"tasks", Strings{"kettle", "kettle"}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"tasks", Strings{"oven"}}}), ConfigError);
  EXPECT_THROW(MakeEnv({{"observation", Strings{"rgb"}}}), ConfigError);
}

// not a timed test: prints the step rates for information
TEST(KitchenEnv, ReportsStepRates) {
  for (const char* key : {"state", "pixels"}) {
    auto env = MakeEnv({{"observation", Strings{key}}});
    env->Reset(5);
    torch::Tensor action = torch::zeros({9});
    int steps = 0;
    auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (const TimeStep* t = &env->Reset(5); !t->is_last && steps < 280; ++steps) {
      t = &env->Step(action);
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::printf("kitchen %s 64x64: %.0f steps/s wall, %.0f steps/s of CPU time (%d steps)\n", key,
                steps / s, steps / cpu, steps);
  }
}

}  // namespace
}  // namespace imitate::plugins::kitchen
