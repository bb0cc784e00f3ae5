// kitchen: a look-alike of the Franka Kitchen (relay-policy-learning / D4RL kitchen-*-v0): a
// Franka Panda with velocity actions in a kitchen with a microwave, kettle, light switch, slide
// and hinge cabinets and four stove knobs. See README.md and envs.md PART A.
//
// Observations: `pixels` uint8 [image_size, image_size, 3] from `camera`, top row first;
// `state` float32 [59] = robot qpos (9) + robot qvel (9) + object qpos (21) + object qvel (20),
// with D4RL's uniform observation noise (layout constants in kitchen_layout.h).
// Action: float32 [9] in [-1, 1], joint velocities / 2 (see kitchen_layout.h).
// Reward: the number of the experiment's tasks newly completed at this step (each pays once).
// Metrics: `tasks_completed`, `success`, and `task_<name>` (0/1) for each task of `tasks`.
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/mujoco/model.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"
#include "imitate/sdk/mujoco/renderer.h"
#include "imitate/sdk/params.h"
#include "plugins/environments/kitchen/kitchen_layout.h"

namespace imitate::plugins::kitchen {

// A counter-based noise generator (SplitMix64 of key + counter): its whole state is two
// integers, so GetState/SetState can save it exactly.
class NoiseRng {
 public:
  void Seed(uint64_t seed);
  // Uniform in [-1, 1).
  double Symmetric();
  uint64_t key() const { return key_; }
  uint64_t counter() const { return counter_; }
  void Restore(uint64_t key, uint64_t counter) {
    key_ = key;
    counter_ = counter;
  }

 private:
  uint64_t key_ = 0;
  uint64_t counter_ = 0;
};

// The kitchen environment (registered as "kitchen").
class Kitchen final : public MujocoEnvironment {
 public:
  // The declared parameters of the [environment] table.
  static ParamSpecs Specs();
  // Makes the environment from validated parameters.
  static std::unique_ptr<Environment> Create(const Params& params);

  explicit Kitchen(const Params& params);

  const ObservationSpace& ObservationSpec() const override { return observation_spec_; }
  const Space& ActionSpec() const override { return action_spec_; }
  int64_t EpisodeLength() const override { return episode_length_; }
  const TimeStep& Reset(uint64_t seed) override;
  const TimeStep& Step(const torch::Tensor& action) override;
  torch::Tensor Render(const std::string& camera, int width, int height) override;
  std::vector<std::string> Cameras() const override;
  SimState GetState() const override;
  void SetState(const SimState& state) override;
  const mjModel* Model() const override { return model_.get(); }
  const mjData* Data() const override { return data_.get(); }
  int FrameSkip() const override { return kFrameSkip; }

 private:
  // Draws the noisy observation, updates task completion and fills timestep_ in place; returns
  // the number of tasks newly completed.
  int Observe();
  // The camera of a Render call ("" = the `camera` parameter); UsageError when unknown.
  const mjvCamera& CameraByName(const std::string& name) const;

  // parameters
  int64_t episode_length_;
  int image_size_;
  std::string camera_;
  double observation_noise_;
  double initial_noise_;
  std::vector<int> tasks_;  // indices into kTasks

  // simulation and rendering
  mujoco::MjModelPtr model_;
  mujoco::MjDataPtr data_;
  mujoco::Renderer renderer_;
  std::vector<mjvCamera> cameras_;  // one per kCameraNames entry
  int pixels_camera_ = 0;

  // spaces and the step record, allocated once and overwritten in place
  ObservationSpace observation_spec_;
  Space action_spec_;
  TimeStep timestep_;
  torch::Tensor state_;                // float32 [59], or undefined
  torch::Tensor pixels_;               // uint8 [S, S, 3], or undefined
  std::vector<double*> task_metrics_;  // &timestep_.metrics["task_<name>"] per tasks_ entry
  double* tasks_completed_metric_ = nullptr;
  double* success_metric_ = nullptr;

  // episode bookkeeping
  NoiseRng rng_;
  double obs_qpos_[kNq] = {};  // the last noisy qpos (its robot part is the action's base)
  double obs_qvel_[kNv] = {};
  bool done_[kNumTasks] = {};
  int64_t step_ = 0;
  bool ended_ = false;
  bool started_ = false;
};

}  // namespace imitate::plugins::kitchen

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_H_
