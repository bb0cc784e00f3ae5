// point_mass: a 2-D point mass in a walled 0.6 x 0.6 m arena that must reach a random target.
//
// Observations: `state` float32 [6] = mass x, y (m), vx, vy (m/s), target x, y (m);
// `pixels` uint8 [image_size, image_size, 3] from the `camera` parameter, top row first.
// Action: float32 [2] in [-1, 1] (x and y motor commands, clipped). Reward: minus the distance
// to the target. Metrics: `distance` (m) and `success` (1 when distance < success_radius).
// GetState/SetState layout: see point_mass_model.h. Planners (the `mpc` expert) roll out on
// copies from CloneForPlanning.
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_POINT_MASS_POINT_MASS_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_POINT_MASS_POINT_MASS_H_

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

namespace imitate::plugins::point_mass {

// The point_mass environment (registered as "point_mass").
class PointMass final : public MujocoEnvironment, public PlanningEnvironment {
 public:
  // The declared parameters of the [environment] table.
  static ParamSpecs Specs();
  // Makes the environment from validated parameters.
  static std::unique_ptr<Environment> Create(const Params& params);

  explicit PointMass(const Params& params);

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
  int FrameSkip() const override { return frame_skip_; }
  // The same parameters with the `state` observation only (it never renders).
  std::unique_ptr<Environment> CloneForPlanning() const override;

 private:
  // Fills the observation tensors and metrics of timestep_ in place.
  void WriteObservation();
  // Distance from the mass to the target (m).
  double Distance() const;
  // A uniform sample in [lo, hi) from rng_ (the same on every platform).
  double Uniform(double lo, double hi);

  // parameters
  Params params_;
  int64_t episode_length_;
  int frame_skip_;
  int image_size_;
  std::string camera_;
  double success_radius_;
  double target_range_;
  double start_range_;

  // simulation and rendering
  mujoco::MjModelPtr model_;
  mujoco::MjDataPtr data_;
  mujoco::Renderer renderer_;
  mjvCamera pixels_camera_;

  // spaces and the step record, allocated once and overwritten in place
  ObservationSpace observation_spec_;
  Space action_spec_;
  TimeStep timestep_;
  torch::Tensor state_;   // float32 [6], or undefined
  torch::Tensor pixels_;  // uint8 [S, S, 3], or undefined

  // episode bookkeeping
  std::mt19937_64 rng_;
  int64_t step_ = 0;
  bool ended_ = false;
  bool started_ = false;  // Reset or SetState has been called
};

}  // namespace imitate::plugins::point_mass

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_POINT_MASS_POINT_MASS_H_
