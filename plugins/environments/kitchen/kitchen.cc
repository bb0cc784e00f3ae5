#include "plugins/environments/kitchen/kitchen.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "plugins/environments/kitchen/kitchen_model.h"

namespace imitate::plugins::kitchen {
namespace {

constexpr int kMaxRenderSize = 4096;

// the names of kTasks, for the parameter's choices
std::vector<std::string> TaskNames() {
  std::vector<std::string> names;
  for (const TaskSpec& task : kTasks) names.emplace_back(task.name);
  return names;
}

// a 64-bit value as two exact doubles (high and low 32 bits) and back
void PutU64(uint64_t v, double* out) {
  out[0] = static_cast<double>(v >> 32);
  out[1] = static_cast<double>(v & 0xffffffffu);
}
uint64_t GetU64(const double* in) {
  return (static_cast<uint64_t>(in[0]) << 32) | static_cast<uint64_t>(in[1]);
}

}  // namespace

void NoiseRng::Seed(uint64_t seed) {
  key_ = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  counter_ = 0;
}

double NoiseRng::Symmetric() {
  // SplitMix64 finaliser of key + counter
  uint64_t z = key_ + 0x9e3779b97f4a7c15ULL * ++counter_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0;
}

ParamSpecs Kitchen::Specs() {
  std::vector<std::string> cameras(std::begin(kCameraNames), std::end(kCameraNames));
  return {
      StringListParam("tasks", {"microwave", "kettle", "light_switch", "slide_cabinet"},
                      "the tasks of an episode (any subset, each once)")
          .Choices(TaskNames())
          .Length(1, kNumTasks),
      StringListParam("observation", {"pixels"}, "observation keys: \"pixels\" and/or \"state\"")
          .Choices({"state", "pixels"})
          .Length(1, 2),
      IntParam("image_size", 64, "height and width of the `pixels` observation").Range(8, 1024),
      StringParam("camera", kCameraNames[0], "camera of `pixels` and of Render(\"\")")
          .Choices(cameras),
      FloatParam("observation_noise", kDefaultObservationNoise,
                 "D4RL noise ratio: value += ratio * amplitude * U(-1, 1) (0 = none)")
          .Range(0, 10),
      FloatParam("initial_noise", 0.0, "arm joints start at the fixed pose + U(-r, r) rad")
          .Range(0, 0.5),
      IntParam("episode_length", kEpisodeLength, "control steps per episode (the time limit)")
          .Positive(),
  };
}

std::unique_ptr<Environment> Kitchen::Create(const Params& params) {
  return std::make_unique<Kitchen>(params);
}

Kitchen::Kitchen(const Params& params)
    : episode_length_(params.Int("episode_length")),
      image_size_(static_cast<int>(params.Int("image_size"))),
      camera_(params.String("camera")),
      observation_noise_(params.Float("observation_noise")),
      initial_noise_(params.Float("initial_noise")),
      model_(LoadKitchenModel()),
      data_(mujoco::MakeData(model_.get())),
      renderer_(model_.get(), image_size_, image_size_) {
  // tasks, each at most once, in kTasks order
  const std::vector<std::string>& names = params.StringList("tasks");
  for (int i = 0; i < kNumTasks; ++i) {
    const auto n = std::count(names.begin(), names.end(), kTasks[i].name);
    if (n > 1) params.Fail("tasks", "\"" + std::string(kTasks[i].name) + "\" is listed twice");
    if (n == 1) tasks_.push_back(i);
  }
  // cameras: every named camera of the model
  for (const char* name : kCameraNames) {
    cameras_.push_back(mujoco::FixedCamera(model_.get(), name));
    if (camera_ == name) pixels_camera_ = static_cast<int>(cameras_.size()) - 1;
  }
  // observation keys: each at most once; buffers allocated once
  const std::vector<std::string>& keys = params.StringList("observation");
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::string& key : keys) {
    if (std::count(keys.begin(), keys.end(), key) > 1) {
      params.Fail("observation", "\"" + key + "\" is listed twice");
    }
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
  action_spec_ = Space{torch::kFloat32, {kActionSize}, -1.0, 1.0};
  // metric keys exist from the start so that steps only overwrite values
  tasks_completed_metric_ = &timestep_.metrics["tasks_completed"];
  success_metric_ = &timestep_.metrics["success"];
  for (int t : tasks_) {
    task_metrics_.push_back(&timestep_.metrics[std::string("task_") + kTasks[t].name]);
  }
  mj_forward(model_.get(), data_.get());
}

const TimeStep& Kitchen::Reset(uint64_t seed) {
  // the fixed start (plus optional arm noise), at rest
  rng_.Seed(seed);
  mj_resetData(model_.get(), data_.get());
  std::copy_n(kInitQpos, kNq, data_->qpos);
  for (int i = 0; i < 7; ++i) data_->qpos[kArmQpos + i] += initial_noise_ * rng_.Symmetric();
  for (int i = 0; i < kNu; ++i) {
    data_->ctrl[i] = std::clamp(data_->qpos[i], kPosLow[i], kPosHigh[i]);
  }
  mj_forward(model_.get(), data_.get());
  // the first step record
  std::fill(std::begin(done_), std::end(done_), false);
  step_ = 0;
  ended_ = false;
  started_ = true;
  Observe();
  timestep_.reward = 0.0;
  timestep_.is_first = true;
  timestep_.is_last = false;
  timestep_.is_terminal = false;
  return timestep_;
}

const TimeStep& Kitchen::Step(const torch::Tensor& action) {
  if (!started_) throw UsageError("kitchen: Step before Reset");
  if (ended_) throw UsageError("kitchen: Step after the episode ended; call Reset");
  if (!action.defined() || action.dim() != 1 || action.size(0) != kActionSize) {
    throw UsageError("kitchen: the action must be float32 [9], got shape " +
                     (action.defined() ? c10::str(action.sizes()) : std::string("undefined")));
  }
  torch::Tensor a = action;
  if (a.scalar_type() != torch::kFloat32 || !a.is_contiguous() || !a.device().is_cpu()) {
    a = a.to(torch::kCPU, torch::kFloat32).contiguous();
  }
  // servo targets: observed position + clipped velocity x control period, within pos_bound
  const float* values = a.data_ptr<float>();
  for (int i = 0; i < kActionSize; ++i) {
    if (!std::isfinite(values[i])) throw UsageError("kitchen: the action is not finite");
    double velocity = kActionScale * std::clamp(static_cast<double>(values[i]), -1.0, 1.0);
    velocity = std::clamp(velocity, -kVelocityBound, kVelocityBound);
    data_->ctrl[i] = std::clamp(obs_qpos_[i] + velocity * kControlDt, kPosLow[i], kPosHigh[i]);
  }
  // physics: mj_step = mj_step1 (position and velocity stages) + mj_step2 (actuation,
  // acceleration, constraint solver, Euler). The position and velocity stages of the current
  // state are already in data_ (Reset and SetState end with mj_forward, a Step with mj_step1)
  // and do not read ctrl, so the first physics step only needs mj_step2; the last mj_step1
  // leaves the new positions' derived quantities (poses, contacts, Jacobians) for rendering and
  // experts. Same physics as 40 mj_step + mj_forward, one mj_forward cheaper (the solver's warm
  // start of the first step is the previous physics step's solution instead of a fresh
  // mj_forward's; the solver converges either way)
  mj_step2(model_.get(), data_.get());
  for (int i = 1; i < kFrameSkip; ++i) mj_step(model_.get(), data_.get());
  mj_step1(model_.get(), data_.get());
  // the step record
  ++step_;
  const int newly_done = Observe();
  const bool all_done = *success_metric_ == 1.0;
  ended_ = all_done || step_ >= episode_length_;
  timestep_.reward = newly_done;
  timestep_.is_first = false;
  timestep_.is_last = ended_;
  timestep_.is_terminal = all_done;
  return timestep_;
}

int Kitchen::Observe() {
  // noisy qpos and qvel (D4RL: ratio x per-joint amplitude x U(-1, 1)); always drawn, so the
  // trajectory of a seed does not depend on the observation keys
  for (int i = 0; i < kNq; ++i) {
    obs_qpos_[i] = data_->qpos[i] + observation_noise_ * kQposNoiseAmp[i] * rng_.Symmetric();
  }
  for (int i = 0; i < kNv; ++i) {
    obs_qvel_[i] = data_->qvel[i] + observation_noise_ * kQvelNoiseAmp[i] * rng_.Symmetric();
  }
  // task completion from the observed qpos (as D4RL); each task pays once
  int newly_done = 0, completed = 0;
  for (size_t k = 0; k < tasks_.size(); ++k) {
    const TaskSpec& task = kTasks[tasks_[k]];
    bool& done = done_[tasks_[k]];
    if (!done) {
      double sq = 0.0;
      for (int j = 0; j < task.size; ++j) {
        const double d = obs_qpos_[task.qpos + j] - task.goal[j];
        sq += d * d;
      }
      if (std::sqrt(sq) < kBonusThreshold) {
        done = true;
        ++newly_done;
      }
    }
    completed += done ? 1 : 0;
    *task_metrics_[k] = done ? 1.0 : 0.0;
  }
  *tasks_completed_metric_ = completed;
  *success_metric_ = completed == static_cast<int>(tasks_.size()) ? 1.0 : 0.0;
  // observations in place
  if (state_.defined()) {
    float* out = state_.data_ptr<float>();
    for (int i = 0; i < kRobotDofs; ++i) {
      out[kObsRobotQpos + i] = static_cast<float>(obs_qpos_[i]);
      out[kObsRobotQvel + i] = static_cast<float>(obs_qvel_[i]);
    }
    for (int i = 0; i < kObjectNq; ++i) {
      out[kObsObjectQpos + i] = static_cast<float>(obs_qpos_[kRobotDofs + i]);
    }
    for (int i = 0; i < kObjectNv; ++i) {
      out[kObsObjectQvel + i] = static_cast<float>(obs_qvel_[kRobotDofs + i]);
    }
  }
  if (pixels_.defined()) {
    renderer_.Render(data_.get(), cameras_[pixels_camera_], image_size_, image_size_,
                     pixels_.data_ptr<uint8_t>());
  }
  return newly_done;
}

const mjvCamera& Kitchen::CameraByName(const std::string& name) const {
  if (name.empty()) return cameras_[pixels_camera_];
  for (int i = 0; i < kNumCameras; ++i) {
    if (name == kCameraNames[i]) return cameras_[i];
  }
  std::string known;
  for (const char* n : kCameraNames) known += (known.empty() ? "" : ", ") + std::string(n);
  throw UsageError("kitchen: unknown camera '" + name + "' (cameras: " + known + ")");
}

torch::Tensor Kitchen::Render(const std::string& camera, int width, int height) {
  const mjvCamera& view = CameraByName(camera);
  if (width < 1 || height < 1 || width > kMaxRenderSize || height > kMaxRenderSize) {
    throw UsageError("kitchen: render size must be in [1, 4096], got " + std::to_string(width) +
                     "x" + std::to_string(height));
  }
  torch::Tensor image = torch::empty({height, width, 3}, torch::kUInt8);
  renderer_.Render(data_.get(), view, width, height, image.data_ptr<uint8_t>());
  return image;
}

std::vector<std::string> Kitchen::Cameras() const {
  return {std::begin(kCameraNames), std::end(kCameraNames)};
}

SimState Kitchen::GetState() const {
  SimState s(kStateSize, 0.0);
  s[kStateTime] = data_->time;
  std::copy_n(data_->qpos, kNq, s.begin() + kStateQpos);
  std::copy_n(data_->qvel, kNv, s.begin() + kStateQvel);
  std::copy_n(data_->ctrl, kNu, s.begin() + kStateCtrl);
  std::copy_n(data_->qacc_warmstart, kNv, s.begin() + kStateWarmstart);
  std::copy_n(obs_qpos_, kRobotDofs, s.begin() + kStateObsQpos);
  s[kStateStep] = static_cast<double>(step_);
  s[kStateEnded] = ended_ ? 1.0 : 0.0;
  for (int i = 0; i < kNumTasks; ++i) s[kStateDone + i] = done_[i] ? 1.0 : 0.0;
  PutU64(rng_.key(), s.data() + kStateRng);
  PutU64(rng_.counter(), s.data() + kStateRng + 2);
  return s;
}

void Kitchen::SetState(const SimState& s) {
  if (s.size() != static_cast<size_t>(kStateSize)) {
    throw UsageError("kitchen: SetState expects " + std::to_string(kStateSize) + " values, got " +
                     std::to_string(s.size()));
  }
  data_->time = s[kStateTime];
  std::copy_n(s.begin() + kStateQpos, kNq, data_->qpos);
  std::copy_n(s.begin() + kStateQvel, kNv, data_->qvel);
  std::copy_n(s.begin() + kStateCtrl, kNu, data_->ctrl);
  // derived quantities, then the saved warm start (mj_forward must not change it)
  mj_forward(model_.get(), data_.get());
  std::copy_n(s.begin() + kStateWarmstart, kNv, data_->qacc_warmstart);
  std::copy_n(s.begin() + kStateObsQpos, kRobotDofs, obs_qpos_);
  step_ = static_cast<int64_t>(s[kStateStep]);
  ended_ = s[kStateEnded] != 0.0;
  for (int i = 0; i < kNumTasks; ++i) done_[i] = s[kStateDone + i] != 0.0;
  rng_.Restore(GetU64(s.data() + kStateRng), GetU64(s.data() + kStateRng + 2));
  started_ = true;
}

}  // namespace imitate::plugins::kitchen
