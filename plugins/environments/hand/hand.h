// hand: a 24-DoF dexterous hand (MuJoCo) with three tasks: `baoding` (the ShadowHand Baoding
// balls of PDDM as CMIL runs it, envs.md PART D), and Adroit's `relocate` and `door` (DAPG,
// PART B). See README.md.
//
// Observations: `pixels` uint8 [image_size, image_size, 3] from `camera`, top row first;
// `state` float32 [40] (baoding) or [39] (relocate, door), layouts in hand_layout.h.
// Action: float32 [24 / 30 / 28] in [-1, 1] (baoding / relocate / door).
// Metrics: baoding `success`, `mean_target_distance`, `dropped`, `on_target_fraction`,
// `on_target_fraction_15mm`; relocate `success`, `goal_steps`, `ball_target_distance`; door
// `success`, `goal_steps`, `door_hinge`.
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/mujoco/model.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"
#include "imitate/sdk/mujoco/renderer.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/planning.h"
#include "plugins/environments/hand/hand_layout.h"
#include "plugins/environments/hand/hand_tasks.h"

namespace imitate::plugins::hand {

// The resolved parameters of one environment (also what a planning copy inherits).
struct HandConfig {
  Task task = Task::kBaoding;
  int64_t episode_length = 75;
  int image_size = 64;
  int camera = 0;  // index into the task's camera list
  bool state = false;
  bool pixels = true;
  double initial_noise = 0.0;
};

// The hand environment (registered as "hand").
class Hand final : public MujocoEnvironment, public PlanningEnvironment {
 public:
  // The declared parameters of the [environment] table.
  static ParamSpecs Specs();
  // Makes the environment from validated parameters.
  static std::unique_ptr<Environment> Create(const Params& params);
  // Resolves and checks parameters (ConfigError naming the parameter).
  static HandConfig ConfigFrom(const Params& params);

  // `model` null: compile the task's model. `planning`: no renderer, no pixels.
  Hand(const HandConfig& config, mujoco::MjModelPtr model, bool planning);

  const ObservationSpace& ObservationSpec() const override { return observation_spec_; }
  const Space& ActionSpec() const override { return action_spec_; }
  int64_t EpisodeLength() const override { return config_.episode_length; }
  const TimeStep& Reset(uint64_t seed) override;
  const TimeStep& Step(const torch::Tensor& action) override;
  torch::Tensor Render(const std::string& camera, int width, int height) override;
  std::vector<std::string> Cameras() const override;
  SimState GetState() const override;
  void SetState(const SimState& state) override;
  const mjModel* Model() const override { return model_.get(); }
  const mjData* Data() const override { return data_.get(); }
  int FrameSkip() const override { return frame_skip_; }
  std::unique_ptr<Environment> CloneForPlanning() const override;

  // The task this environment runs.
  Task task() const { return config_.task; }
  // Baoding: the current targets' world xy {t1x, t1y, t2x, t2y} (those of the last step).
  const double* targets() const { return targets_; }

 private:
  // Scores the state after a step (or Reset when `first`), updates the episode bookkeeping and
  // writes observations and metrics into timestep_.
  void Observe(bool first);
  // The camera of a Render call ("" = the `camera` parameter); UsageError when unknown.
  const mjvCamera& CameraByName(const std::string& name) const;
  // The task's randomised model positions (6 doubles), read or written.
  void GetRandomised(double* out) const;
  void SetRandomised(const double* in);
  // A uniform sample in [lo, hi) from rng_.
  double Uniform(double lo, double hi);

  HandConfig config_;
  bool planning_;
  int frame_skip_;

  // simulation and rendering (no renderer in a planning copy)
  mujoco::MjModelPtr model_;
  mujoco::MjDataPtr data_;
  std::unique_ptr<mujoco::Renderer> renderer_;
  std::vector<mjvCamera> cameras_;  // one per Cameras() entry
  TaskIds ids_;

  // spaces and the step record, allocated once and overwritten in place
  ObservationSpace observation_spec_;
  Space action_spec_;
  TimeStep timestep_;
  torch::Tensor state_;           // float32 [40 / 39], or undefined
  torch::Tensor pixels_;          // uint8 [S, S, 3], or undefined
  std::vector<double*> metrics_;  // the task's metric slots in timestep_.metrics

  // episode bookkeeping (all of it in GetState)
  std::mt19937_64 rng_;
  int64_t step_ = 0;
  bool ended_ = false;
  bool started_ = false;
  double targets_[4] = {};        // baoding targets of the current step
  double book_[kStateBook] = {};  // see hand_layout.h (dropped, distance sum, ... / goal steps)
};

}  // namespace imitate::plugins::hand

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_H_
