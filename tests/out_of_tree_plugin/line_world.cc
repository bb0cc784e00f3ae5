// line_world: a 1-D reaching task and its expert, built out of tree against the installed SDK.
//
// state = [position, target]; action in [-1, 1] moves the position by 0.1 * action. The episode
// lasts `episode_length` steps; `success` becomes 1 once |position - target| < 0.05.
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/registrar.h"

namespace line_world {

constexpr double kStepSize = 0.1;
constexpr double kSuccessDistance = 0.05;

class LineWorld : public imitate::Environment {
 public:
  static imitate::ParamSpecs Specs() {
    return {imitate::IntParam("episode_length", 20, "steps per episode").Range(1, 10000),
            imitate::FloatParam("range", 1.0, "position and target are drawn from [-range, range]")
                .Range(0.05, 100.0)};
  }

  static std::unique_ptr<imitate::Environment> Create(const imitate::Params& params) {
    return std::make_unique<LineWorld>(params);
  }

  explicit LineWorld(const imitate::Params& params)
      : episode_length_(params.Int("episode_length")), range_(params.Float("range")) {
    observation_spec_["state"] = imitate::Space{torch::kFloat32, {2}, -range_, range_};
    action_spec_ = imitate::Space{torch::kFloat32, {1}, -1.0, 1.0};
    // one observation tensor, overwritten in place at every step
    step_.observation["state"] = observation_spec_["state"].Zeros();
  }

  const imitate::ObservationSpace& ObservationSpec() const override { return observation_spec_; }
  const imitate::Space& ActionSpec() const override { return action_spec_; }
  int64_t EpisodeLength() const override { return episode_length_; }

  const imitate::TimeStep& Reset(uint64_t seed) override {
    // position and target from the seed, at least one success radius apart
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uniform(-range_, range_);
    position_ = uniform(rng);
    do {
      target_ = uniform(rng);
    } while (std::abs(position_ - target_) < 2 * kSuccessDistance);
    t_ = 0;
    success_ = false;
    return Update();
  }

  const imitate::TimeStep& Step(const torch::Tensor& action) override {
    if (t_ < 0) throw imitate::UsageError("line_world: Step before Reset");
    if (step_.is_last) throw imitate::UsageError("line_world: Step after the episode ended");
    if (!action_spec_.Matches(action)) {
      throw imitate::UsageError("line_world: action must be " + action_spec_.ToString());
    }
    // clip, move, stay on the line
    double a = std::clamp(static_cast<double>(action.item<float>()), -1.0, 1.0);
    position_ = std::clamp(position_ + kStepSize * a, -range_, range_);
    ++t_;
    return Update();
  }

  torch::Tensor Render(const std::string& camera, int width, int height) override {
    if (!camera.empty() && camera != "default") {
      throw imitate::UsageError("line_world: unknown camera '" + camera + "' (cameras: default)");
    }
    if (width <= 0 || height <= 0) throw imitate::UsageError("line_world: empty image size");
    // a uniform image whose brightness grows as the position nears the target
    double closeness = 1.0 - std::min(1.0, Distance() / (2 * range_));
    return torch::full({height, width, 3}, static_cast<int64_t>(255 * closeness), torch::kUInt8);
  }

  std::vector<std::string> Cameras() const override { return {"default"}; }

  imitate::SimState GetState() const override {
    return {static_cast<double>(t_), position_, target_, success_ ? 1.0 : 0.0};
  }

  void SetState(const imitate::SimState& state) override {
    if (state.size() != 4) throw imitate::UsageError("line_world: SetState needs 4 values");
    t_ = static_cast<int64_t>(state[0]);
    position_ = state[1];
    target_ = state[2];
    success_ = state[3] != 0.0;
    Update();
    step_.is_first = false;
  }

 private:
  double Distance() const { return std::abs(position_ - target_); }

  // writes the step record in place
  const imitate::TimeStep& Update() {
    float* state = step_.observation["state"].data_ptr<float>();
    state[0] = static_cast<float>(position_);
    state[1] = static_cast<float>(target_);
    success_ = success_ || Distance() < kSuccessDistance;
    step_.reward = -Distance();
    step_.is_first = t_ == 0;
    step_.is_last = t_ >= episode_length_;
    step_.is_terminal = false;
    step_.metrics["success"] = success_ ? 1.0 : 0.0;
    step_.metrics["distance"] = Distance();
    return step_;
  }

  int64_t episode_length_;
  double range_;
  imitate::ObservationSpace observation_spec_;
  imitate::Space action_spec_;
  imitate::TimeStep step_;
  int64_t t_ = -1;
  double position_ = 0.0;
  double target_ = 0.0;
  bool success_ = false;
};

// moves towards the target, reading the privileged state
class LineWorldExpert : public imitate::Expert {
 public:
  static imitate::ParamSpecs Specs() {
    return {imitate::FloatParam("noise", 0.0, "std of Gaussian noise added to each action")
                .Range(0.0, 1.0)};
  }

  static std::unique_ptr<imitate::Expert> Create(const imitate::Params& params) {
    return std::make_unique<LineWorldExpert>(params);
  }

  explicit LineWorldExpert(const imitate::Params& params) : noise_(params.Float("noise")) {}

  std::vector<std::string> SupportedEnvironments() const override { return {"line_world"}; }

  void Reset(imitate::Environment& /*env*/, const imitate::TimeStep& /*first*/,
             uint64_t seed) override {
    rng_.seed(seed);
  }

  torch::Tensor Act(imitate::Environment& env, const imitate::TimeStep& /*current*/) override {
    // state = [t, position, target, success]
    imitate::SimState state = env.GetState();
    double action = (state.at(2) - state.at(1)) / kStepSize;
    if (noise_ > 0) action += std::normal_distribution<double>(0.0, noise_)(rng_);
    return torch::full({1}, std::clamp(action, -1.0, 1.0), torch::kFloat32);
  }

 private:
  double noise_;
  std::mt19937_64 rng_;
};

}  // namespace line_world

IMITATE_PLUGIN(registrar) {
  registrar.Add("line_world", "A 1-D point moving along a line to a target",
                line_world::LineWorld::Specs(), &line_world::LineWorld::Create);
  registrar.Add("line_world", "Moves the line_world point straight to its target",
                line_world::LineWorldExpert::Specs(), &line_world::LineWorldExpert::Create);
}
