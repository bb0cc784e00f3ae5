#include "plugins/experts/point_mass/point_mass_expert.h"

#include <algorithm>
#include <string>

#include "imitate/sdk/errors.h"
#include "plugins/environments/point_mass/point_mass_model.h"

namespace imitate::plugins::point_mass {
namespace {

constexpr double kGainSpread = 0.1;  // per-episode gain scale in [1 - s, 1 + s]

}  // namespace

ParamSpecs PointMassExpert::Specs() {
  return {
      FloatParam("kp", 10.0, "proportional gain (action per metre of position error)").Min(0),
      FloatParam("kd", 1.0, "derivative gain (action per m/s of velocity)").Min(0),
      FloatParam("noise", 0.0, "standard deviation of Gaussian noise added to each action").Min(0),
  };
}

std::unique_ptr<Expert> PointMassExpert::Create(const Params& params) {
  return std::make_unique<PointMassExpert>(params);
}

PointMassExpert::PointMassExpert(const Params& params)
    : kp_(params.Float("kp")),
      kd_(params.Float("kd")),
      noise_(params.Float("noise")),
      episode_kp_(kp_),
      episode_kd_(kd_) {}

void PointMassExpert::Reset(Environment& /*env*/, const TimeStep& /*first*/, uint64_t seed) {
  // this episode's gains from the seed (the same formula on every platform)
  rng_.seed(seed);
  auto uniform = [this] { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; };
  episode_kp_ = kp_ * (1.0 + kGainSpread * (2.0 * uniform() - 1.0));
  episode_kd_ = kd_ * (1.0 + kGainSpread * (2.0 * uniform() - 1.0));
  gaussian_.reset();
}

torch::Tensor PointMassExpert::Act(Environment& env, const TimeStep& /*current*/) {
  // privileged state in the point_mass layout
  const SimState s = env.GetState();
  if (s.size() != static_cast<size_t>(kStateSize)) {
    throw UsageError("point_mass expert: the environment's state has " + std::to_string(s.size()) +
                     " values, point_mass has " + std::to_string(kStateSize) +
                     " (is it a point_mass environment?)");
  }
  // PD control towards the target, with optional noise, clipped to the action space
  torch::Tensor action = torch::empty({2}, torch::kFloat32);
  float* a = action.data_ptr<float>();
  for (int i = 0; i < 2; ++i) {
    double error = s[kStateTarget + i] - s[kStateQpos + i];
    double u = episode_kp_ * error - episode_kd_ * s[kStateQvel + i];
    if (noise_ > 0) u += noise_ * gaussian_(rng_);
    a[i] = static_cast<float>(std::clamp(u, -1.0, 1.0));
  }
  return action;
}

}  // namespace imitate::plugins::point_mass
