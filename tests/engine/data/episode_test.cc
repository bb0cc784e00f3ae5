#include "engine/data/episode.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include "imitate/sdk/errors.h"
#include "tests/engine/data/data_test_util.h"

namespace imitate::engine {
namespace {

using testing::kAction;
using testing::kImage;
using testing::kState;
using testing::TestSpace;

// an environment step whose observations encode `t`
TimeStep Step(int64_t t, bool last = false) {
  TimeStep step;
  step.observation["state"] = torch::full({kState}, static_cast<float>(t));
  step.observation["pixels"] = torch::full({kImage, kImage, 3}, t % 256, torch::kUInt8);
  step.reward = 0.5 * static_cast<double>(t);
  step.is_first = t == 0;
  step.is_last = last;
  step.is_terminal = last;
  step.metrics = {{"success", last ? 1.0 : 0.0}, {"tasks_completed", static_cast<double>(t)}};
  return step;
}

// builds an episode of `length` steps from a builder of capacity `capacity`
Episode Build(EpisodeBuilder& builder, int64_t length) {
  builder.Begin(Step(0));
  for (int64_t t = 1; t < length; ++t) {
    builder.Append(torch::full({kAction}, static_cast<float>(t)), Step(t, t == length - 1));
  }
  return builder.Finish();
}

TEST(EpisodeBuilderTest, GrowsPastItsCapacityAndKeepsEveryStep) {
  EpisodeBuilder builder(TestSpace(), kAction, 2);
  const Episode e = Build(builder, 37);
  ASSERT_EQ(builder.Length(), 37);
  ASSERT_EQ(e.Length(), 37);
  // shapes and dtypes: storage dtype kept, trimmed to the length, contiguous
  EXPECT_EQ(e.observation.at("pixels").sizes(), (std::vector<int64_t>{37, kImage, kImage, 3}));
  EXPECT_EQ(e.observation.at("pixels").scalar_type(), torch::kUInt8);
  EXPECT_EQ(e.observation.at("state").sizes(), (std::vector<int64_t>{37, kState}));
  EXPECT_EQ(e.action.sizes(), (std::vector<int64_t>{37, kAction}));
  EXPECT_EQ(e.reward.scalar_type(), torch::kFloat32);
  EXPECT_EQ(e.is_first.scalar_type(), torch::kBool);
  for (const auto& [key, t] : e.observation) EXPECT_TRUE(t.is_contiguous()) << key;
  // content of every row
  for (int64_t t = 0; t < 37; ++t) {
    EXPECT_EQ(e.observation.at("state")[t][0].item<float>(), t);
    EXPECT_TRUE(e.observation.at("pixels")[t].eq(t).all().item<bool>());
    EXPECT_EQ(e.action[t][0].item<float>(), t);  // action[0] is zero
    EXPECT_FLOAT_EQ(e.reward[t].item<float>(), 0.5f * t);
    EXPECT_EQ(e.is_first[t].item<bool>(), t == 0);
    EXPECT_EQ(e.is_last[t].item<bool>(), t == 36);
    EXPECT_EQ(e.is_terminal[t].item<bool>(), t == 36);
  }
  // metrics come from the last step
  EXPECT_EQ(e.metrics.at("success"), 1.0);
  EXPECT_EQ(e.metrics.at("tasks_completed"), 36.0);
}

TEST(EpisodeBuilderTest, BeginStartsOverAndFinishReturnsIndependentCopies) {
  EpisodeBuilder builder(TestSpace(), kAction, 4);
  const Episode first = Build(builder, 10);
  const Episode second = Build(builder, 3);
  EXPECT_EQ(second.Length(), 3);
  EXPECT_EQ(first.Length(), 10);
  // the second episode overwrote the builder's rows, not the first episode's copies
  EXPECT_EQ(first.observation.at("state")[2][0].item<float>(), 2);
  EXPECT_EQ(first.action[9][0].item<float>(), 9);
  EXPECT_TRUE(first.is_last[9].item<bool>());
  EXPECT_FALSE(first.is_last[2].item<bool>());
  EXPECT_TRUE(second.is_last[2].item<bool>());
}

TEST(EpisodeBuilderTest, RejectsMisuse) {
  EpisodeBuilder builder(TestSpace(), kAction, 4);
  EXPECT_THROW(builder.Append(torch::zeros({kAction}), Step(1)), UsageError);
  builder.Begin(Step(0));
  EXPECT_THROW(builder.Append(torch::zeros({kAction + 1}), Step(1)), UsageError);
  TimeStep missing = Step(1);
  missing.observation.erase("pixels");
  EXPECT_THROW(builder.Append(torch::zeros({kAction}), missing), UsageError);
  TimeStep wrong = Step(1);
  wrong.observation["state"] = torch::zeros({kState + 1});
  EXPECT_THROW(builder.Append(torch::zeros({kAction}), wrong), UsageError);
}

}  // namespace
}  // namespace imitate::engine
