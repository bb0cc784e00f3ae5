#include "tests/engine/plugins/test_environment.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"

namespace imitate::testing {
namespace {

// state: `size` copies of the step counter; action float32 [1] is ignored
class TestEnvironment : public Environment {
 public:
  explicit TestEnvironment(const Params& params)
      : size_(params.Int("size")), episode_length_(params.Int("episode_length")) {
    observation_spec_["state"] = Space{torch::kFloat32, {size_}, -1e9, 1e9};
    action_spec_ = Space{torch::kFloat32, {1}, -1.0, 1.0};
    step_.observation["state"] = observation_spec_["state"].Zeros();
  }

  const ObservationSpace& ObservationSpec() const override { return observation_spec_; }
  const Space& ActionSpec() const override { return action_spec_; }
  int64_t EpisodeLength() const override { return episode_length_; }

  const TimeStep& Reset(uint64_t /*seed*/) override {
    t_ = 0;
    return Fill();
  }

  const TimeStep& Step(const torch::Tensor& action) override {
    if (t_ < 0 || t_ >= episode_length_) throw UsageError("test env: Step without Reset");
    if (!action_spec_.Matches(action)) throw UsageError("test env: bad action");
    ++t_;
    return Fill();
  }

  torch::Tensor Render(const std::string& camera, int width, int height) override {
    if (!camera.empty()) throw UsageError("test env: unknown camera '" + camera + "'");
    return torch::zeros({height, width, 3}, torch::kUInt8);
  }

  std::vector<std::string> Cameras() const override { return {""}; }
  SimState GetState() const override { return {static_cast<double>(t_)}; }
  void SetState(const SimState& state) override { t_ = static_cast<int64_t>(state.at(0)); }

 private:
  // writes the step record in place
  const TimeStep& Fill() {
    step_.observation["state"].fill_(static_cast<double>(t_));
    step_.is_first = t_ == 0;
    step_.is_last = t_ >= episode_length_;
    step_.is_terminal = false;
    step_.reward = 0.0;
    step_.metrics["success"] = 0.0;
    return step_;
  }

  int64_t size_;
  int64_t episode_length_;
  int64_t t_ = -1;
  ObservationSpace observation_spec_;
  Space action_spec_;
  TimeStep step_;
};

}  // namespace

ParamSpecs TestEnvironmentSpecs() {
  return {IntParam("size", 3, "state dimension").Range(1, 64),
          IntParam("episode_length", 5, "steps per episode").Positive()};
}

std::unique_ptr<Plugin> CreateTestEnvironment(const Params& params) {
  return std::make_unique<TestEnvironment>(params);
}

}  // namespace imitate::testing
