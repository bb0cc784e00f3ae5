#include "plugins/environments/point_mass/point_mass.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "plugins/environments/point_mass/point_mass_model.h"

namespace imitate::plugins::point_mass {
namespace {

constexpr double kMaxRange = 0.27;  // farthest start/target coordinate inside the walls (m)
constexpr int kMaxRenderSize = 4096;

// the model's sizes must match the documented state layout
void CheckLayout(const mjModel* m) {
  IMITATE_CHECK(m->nq == 2 && m->nv == 2 && m->nu == 2 && m->na == 0 && m->nmocap == 1,
                "point_mass: the model does not match the state layout");
}

}  // namespace

ParamSpecs PointMass::Specs() {
  return {
      IntParam("episode_length", 75, "control steps per episode (the time limit)").Positive(),
      IntParam("frame_skip", 4, "physics steps of 0.01 s per control step").Range(1, 100),
      StringListParam("observation", {"state"}, "observation keys: \"state\" and/or \"pixels\"")
          .Choices({"state", "pixels"})
          .Length(1, 2),
      IntParam("image_size", 64, "height and width of the `pixels` observation").Range(8, 512),
      StringParam("camera", "top", "camera of `pixels` and of Render(\"\")")
          .Choices({kCameraNames[0], kCameraNames[1]}),
      FloatParam("success_radius", 0.01, "distance (m) below which `success` is 1").Min(1e-6),
      FloatParam("target_range", 0.2, "target x and y are uniform in [-r, r] (m)")
          .Range(0, kMaxRange),
      FloatParam("start_range", 0.2, "initial mass x and y are uniform in [-r, r] (m)")
          .Range(0, kMaxRange),
  };
}

std::unique_ptr<Environment> PointMass::Create(const Params& params) {
  return std::make_unique<PointMass>(params);
}

PointMass::PointMass(const Params& params)
    : params_(params),
      episode_length_(params.Int("episode_length")),
      frame_skip_(static_cast<int>(params.Int("frame_skip"))),
      image_size_(static_cast<int>(params.Int("image_size"))),
      camera_(params.String("camera")),
      success_radius_(params.Float("success_radius")),
      target_range_(params.Float("target_range")),
      start_range_(params.Float("start_range")),
      model_(mujoco::LoadModelFromString(kModelXml, "point_mass.xml")),
      data_(mujoco::MakeData(model_.get())),
      renderer_(model_.get(), image_size_, image_size_),
      pixels_camera_(mujoco::FixedCamera(model_.get(), camera_)) {
  CheckLayout(model_.get());
  // observation keys: each at most once
  const std::vector<std::string>& keys = params.StringList("observation");
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::count(keys.begin(), keys.end(), keys[i]) > 1) {
      params.Fail("observation", "\"" + keys[i] + "\" is listed twice");
    }
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::string& key : keys) {
    if (key == "state") {
      observation_spec_[key] = Space{torch::kFloat32, {kObsSize}, -inf, inf};
      state_ = observation_spec_[key].Zeros();
      timestep_.observation[key] = state_;
    } else {
      observation_spec_[key] = Space{torch::kUInt8, {image_size_, image_size_, 3}, 0, 255};
      pixels_ = observation_spec_[key].Zeros();
      timestep_.observation[key] = pixels_;
    }
  }
  action_spec_ = Space{torch::kFloat32, {2}, -1.0, 1.0};
  // metric keys exist from the start so that steps only overwrite values
  timestep_.metrics = {{"distance", 0.0}, {"success", 0.0}};
  mj_forward(model_.get(), data_.get());
}

std::unique_ptr<Environment> PointMass::CloneForPlanning() const {
  // this environment's parameters, observing the state only
  std::map<std::string, ParamValue> values = params_.values();
  values["observation"] = std::vector<std::string>{"state"};
  return std::make_unique<PointMass>(Params::Make(params_.path(), Specs(), values));
}

const TimeStep& PointMass::Reset(uint64_t seed) {
  // random start and target from the seed
  rng_.seed(seed);
  mj_resetData(model_.get(), data_.get());
  data_->qpos[0] = Uniform(-start_range_, start_range_);
  data_->qpos[1] = Uniform(-start_range_, start_range_);
  data_->mocap_pos[0] = Uniform(-target_range_, target_range_);
  data_->mocap_pos[1] = Uniform(-target_range_, target_range_);
  data_->mocap_pos[2] = 0.0;
  mj_forward(model_.get(), data_.get());
  // the first step record
  step_ = 0;
  ended_ = false;
  started_ = true;
  timestep_.reward = 0.0;
  timestep_.is_first = true;
  timestep_.is_last = false;
  timestep_.is_terminal = false;
  WriteObservation();
  return timestep_;
}

const TimeStep& PointMass::Step(const torch::Tensor& action) {
  if (!started_) throw UsageError("point_mass: Step before Reset");
  if (ended_) throw UsageError("point_mass: Step after the episode ended; call Reset");
  if (!action.defined() || action.dim() != 1 || action.size(0) != 2) {
    throw UsageError("point_mass: the action must be float32 [2], got shape " +
                     (action.defined() ? c10::str(action.sizes()) : std::string("undefined")));
  }
  // controls: clipped actions (converted only when not already contiguous float32 on the CPU)
  torch::Tensor a = action;
  if (a.scalar_type() != torch::kFloat32 || !a.is_contiguous() || !a.device().is_cpu()) {
    a = a.to(torch::kCPU, torch::kFloat32).contiguous();
  }
  const float* values = a.data_ptr<float>();
  for (int i = 0; i < 2; ++i) {
    if (!std::isfinite(values[i])) throw UsageError("point_mass: the action is not finite");
    data_->ctrl[i] = std::clamp(static_cast<double>(values[i]), -1.0, 1.0);
  }
  // physics, then derived quantities for the new positions (rendering, observations)
  for (int i = 0; i < frame_skip_; ++i) mj_step(model_.get(), data_.get());
  mj_forward(model_.get(), data_.get());
  // the step record
  ++step_;
  ended_ = step_ >= episode_length_;
  timestep_.reward = -Distance();
  timestep_.is_first = false;
  timestep_.is_last = ended_;
  timestep_.is_terminal = false;
  WriteObservation();
  return timestep_;
}

torch::Tensor PointMass::Render(const std::string& camera, int width, int height) {
  const std::string& name = camera.empty() ? camera_ : camera;
  std::vector<std::string> cameras = Cameras();
  if (std::find(cameras.begin(), cameras.end(), name) == cameras.end()) {
    throw UsageError("point_mass: unknown camera '" + name + "' (cameras: top, angled)");
  }
  if (width < 1 || height < 1 || width > kMaxRenderSize || height > kMaxRenderSize) {
    throw UsageError("point_mass: render size must be in [1, 4096], got " + std::to_string(width) +
                     "x" + std::to_string(height));
  }
  torch::Tensor image = torch::empty({height, width, 3}, torch::kUInt8);
  renderer_.Render(data_.get(), mujoco::FixedCamera(model_.get(), name), width, height,
                   image.data_ptr<uint8_t>());
  return image;
}

std::vector<std::string> PointMass::Cameras() const {
  return {std::begin(kCameraNames), std::end(kCameraNames)};
}

SimState PointMass::GetState() const {
  SimState s(kStateSize, 0.0);
  s[kStateTime] = data_->time;
  std::copy_n(data_->qpos, 2, s.begin() + kStateQpos);
  std::copy_n(data_->qvel, 2, s.begin() + kStateQvel);
  std::copy_n(data_->ctrl, 2, s.begin() + kStateCtrl);
  std::copy_n(data_->qacc_warmstart, 2, s.begin() + kStateWarmstart);
  std::copy_n(data_->mocap_pos, 2, s.begin() + kStateTarget);
  s[kStateStep] = static_cast<double>(step_);
  s[kStateEnded] = ended_ ? 1.0 : 0.0;
  return s;
}

void PointMass::SetState(const SimState& s) {
  if (s.size() != static_cast<size_t>(kStateSize)) {
    throw UsageError("point_mass: SetState expects " + std::to_string(kStateSize) +
                     " values, got " + std::to_string(s.size()));
  }
  data_->time = s[kStateTime];
  std::copy_n(s.begin() + kStateQpos, 2, data_->qpos);
  std::copy_n(s.begin() + kStateQvel, 2, data_->qvel);
  std::copy_n(s.begin() + kStateCtrl, 2, data_->ctrl);
  std::copy_n(s.begin() + kStateWarmstart, 2, data_->qacc_warmstart);
  std::copy_n(s.begin() + kStateTarget, 2, data_->mocap_pos);
  data_->mocap_pos[2] = 0.0;
  mj_forward(model_.get(), data_.get());
  step_ = static_cast<int64_t>(s[kStateStep]);
  ended_ = s[kStateEnded] != 0.0;
  started_ = true;
}

void PointMass::WriteObservation() {
  // state: mass position, velocity, target position
  if (state_.defined()) {
    float* out = state_.data_ptr<float>();
    out[kObsPos] = static_cast<float>(data_->qpos[0]);
    out[kObsPos + 1] = static_cast<float>(data_->qpos[1]);
    out[kObsVel] = static_cast<float>(data_->qvel[0]);
    out[kObsVel + 1] = static_cast<float>(data_->qvel[1]);
    out[kObsTarget] = static_cast<float>(data_->mocap_pos[0]);
    out[kObsTarget + 1] = static_cast<float>(data_->mocap_pos[1]);
  }
  // pixels: rendered into the preallocated image
  if (pixels_.defined()) {
    renderer_.Render(data_.get(), pixels_camera_, image_size_, image_size_,
                     pixels_.data_ptr<uint8_t>());
  }
  // metrics
  double distance = Distance();
  timestep_.metrics["distance"] = distance;
  timestep_.metrics["success"] = distance < success_radius_ ? 1.0 : 0.0;
}

double PointMass::Distance() const {
  return std::hypot(data_->qpos[0] - data_->mocap_pos[0], data_->qpos[1] - data_->mocap_pos[1]);
}

double PointMass::Uniform(double lo, double hi) {
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * u;
}

}  // namespace imitate::plugins::point_mass
