#include "engine/run/collector.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

// a 1-D environment: state = [position, reset seed % 1000]; position += action; 5 steps
class LineEnv final : public Environment {
 public:
  LineEnv() {
    obs_space_["state"] = Space{torch::kFloat32, {2}, -1e9, 1e9};
    action_space_ = Space{torch::kFloat32, {1}, -1, 1};
    step_.observation["state"] = torch::zeros({2});
  }
  const ObservationSpace& ObservationSpec() const override { return obs_space_; }
  const Space& ActionSpec() const override { return action_space_; }
  int64_t EpisodeLength() const override { return 5; }
  const TimeStep& Reset(uint64_t seed) override {
    seeds.push_back(seed);
    t_ = 0;
    pos_ = 0;
    Fill(true);
    return step_;
  }
  const TimeStep& Step(const torch::Tensor& action) override {
    pos_ += action[0].item<double>();
    ++t_;
    Fill(false);
    return step_;
  }
  torch::Tensor Render(const std::string&, int w, int h) override {
    return torch::zeros({h, w, 3}, torch::kUInt8);
  }
  std::vector<std::string> Cameras() const override { return {"default"}; }
  SimState GetState() const override { return {pos_, static_cast<double>(t_)}; }
  void SetState(const SimState& s) override {
    pos_ = s[0];
    t_ = static_cast<int64_t>(s[1]);
  }

  std::vector<uint64_t> seeds;

 private:
  void Fill(bool first) {
    step_.observation["state"][0] = pos_;
    step_.observation["state"][1] = static_cast<double>(seeds.back() % 1000);
    step_.reward = first ? 0.0 : 1.0;
    step_.is_first = first;
    step_.is_last = t_ == 5;
    step_.is_terminal = false;
    step_.metrics["position"] = pos_;
  }
  ObservationSpace obs_space_;
  Space action_space_;
  TimeStep step_;
  double pos_ = 0;
  int64_t t_ = 0;
};

// acts 0.5 when exploring and 0.25 when evaluated; counts is_first flags
class ConstantPolicy final : public Optimizer {
 public:
  void Build(const AgentComponents&) override {}
  Metrics Update(Phase, const Batch&, const Batch&) override { return {}; }
  TensorMap InitialCarry(int64_t) override { return {}; }
  torch::Tensor Act(const TensorMap& obs, const torch::Tensor& is_first, TensorMap&,
                    ActMode mode) override {
    EXPECT_EQ(obs.at("state").sizes(), (std::vector<int64_t>{1, 2}));
    firsts += is_first[0].item<bool>() ? 1 : 0;
    return torch::full({1, 1}, mode == ActMode::kExplore ? 0.5 : 0.25);
  }
  void Save(torch::serialize::OutputArchive&) override {}
  void Load(torch::serialize::InputArchive&) override {}
  int firsts = 0;
};

TEST(CollectorTest, StepReturnsWholeEpisodesInDreamerConvention) {
  LineEnv env;
  ConstantPolicy policy;
  Collector collector(env, policy, ActMode::kExplore, 42);
  std::vector<Episode> episodes;
  for (int i = 0; i < 12; ++i) {
    if (auto e = collector.Step()) episodes.push_back(std::move(*e));
  }
  ASSERT_EQ(episodes.size(), 2u);  // 12 steps = two 5-step episodes and 2 steps of a third
  const Episode& e = episodes[0];
  ASSERT_EQ(e.Length(), 6);
  EXPECT_EQ(e.action[0].item<float>(), 0.0f);  // the reset step has a zero action
  EXPECT_EQ(e.action[1].item<float>(), 0.5f);
  EXPECT_TRUE(e.is_first[0].item<bool>());
  EXPECT_FALSE(e.is_first[1].item<bool>());
  EXPECT_TRUE(e.is_last[5].item<bool>());
  EXPECT_FLOAT_EQ(e.observation.at("state")[5][0].item<float>(), 2.5f);
  EXPECT_DOUBLE_EQ(e.metrics.at("position"), 2.5);
  EXPECT_EQ(policy.firsts, 3);
  // episodes get distinct, reproducible seeds
  ASSERT_EQ(env.seeds.size(), 3u);
  EXPECT_NE(env.seeds[0], env.seeds[1]);
  LineEnv env2;
  Collector again(env2, policy, ActMode::kExplore, 42);
  again.Step();
  EXPECT_EQ(env2.seeds[0], env.seeds[0]);
}

TEST(CollectorTest, RunEpisodeAndSummarize) {
  LineEnv env;
  ConstantPolicy policy;
  Collector collector(env, policy, ActMode::kEvaluate, 7);
  std::vector<EpisodeResult> results = {collector.RunEpisode(), collector.RunEpisode()};
  EXPECT_EQ(results[0].length, 5);
  EXPECT_DOUBLE_EQ(results[0].episode_return, 5.0);
  EXPECT_DOUBLE_EQ(results[1].metrics.at("position"), 1.25);
  Metrics mean = Summarize(results);
  EXPECT_DOUBLE_EQ(mean.at("return"), 5.0);
  EXPECT_DOUBLE_EQ(mean.at("length"), 5.0);
  EXPECT_DOUBLE_EQ(mean.at("position"), 1.25);
  EXPECT_TRUE(Summarize({}).empty());
}

}  // namespace
}  // namespace imitate::engine
