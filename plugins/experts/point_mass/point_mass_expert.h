// The point_mass expert: a scripted PD controller on the privileged simulator state.
#ifndef IMITATE_PLUGINS_EXPERTS_POINT_MASS_POINT_MASS_EXPERT_H_
#define IMITATE_PLUGINS_EXPERTS_POINT_MASS_POINT_MASS_EXPERT_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/expert.h"
#include "imitate/sdk/params.h"

namespace imitate::plugins::point_mass {

// Drives the point_mass environment to its target with
//   a = clip(kp' * (target - position) - kd' * velocity, -1, 1) + N(0, noise^2) (then clipped),
// reading position, velocity and target from env.GetState(). Each episode scales kp and kd by
// U(0.9, 1.1) drawn from the episode seed, so that demonstrations differ.
class PointMassExpert final : public Expert {
 public:
  // The declared parameters (kp, kd, noise).
  static ParamSpecs Specs();
  // Makes the expert from validated parameters.
  static std::unique_ptr<Expert> Create(const Params& params);

  explicit PointMassExpert(const Params& params);

  std::vector<std::string> SupportedEnvironments() const override { return {"point_mass"}; }
  void Reset(Environment& env, const TimeStep& first, uint64_t seed) override;
  torch::Tensor Act(Environment& env, const TimeStep& current) override;

 private:
  double kp_;
  double kd_;
  double noise_;
  // this episode's gains and noise source
  double episode_kp_;
  double episode_kd_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> gaussian_{0.0, 1.0};
};

}  // namespace imitate::plugins::point_mass

#endif  // IMITATE_PLUGINS_EXPERTS_POINT_MASS_POINT_MASS_EXPERT_H_
