#include "plugins/environments/hand/hand.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "plugins/environments/hand/hand_model.h"

namespace imitate::plugins::hand {
namespace {

constexpr int kMaxRenderSize = 4096;

// the metric keys of each task, in the order of Hand::metrics_
const std::vector<std::string> kBaodingMetrics = {"success", "mean_target_distance", "dropped",
                                                  "on_target_fraction", "on_target_fraction_15mm"};
const std::vector<std::string> kRelocateMetrics = {"success", "goal_steps", "ball_target_distance"};
const std::vector<std::string> kDoorMetrics = {"success", "goal_steps", "door_hinge"};

constexpr int kGoalSteps = 0;  // Adroit's bookkeeping: steps with the goal achieved

std::vector<std::string> CameraNames(Task task) {
  if (task == Task::kBaoding) return {std::begin(kBaodingCameras), std::end(kBaodingCameras)};
  return {std::begin(kAdroitCameras), std::end(kAdroitCameras)};
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// the D9 free camera of CMIL's images
mjvCamera CmilCamera() {
  mjvCamera camera;
  mjv_defaultCamera(&camera);
  camera.type = mjCAMERA_FREE;
  for (int i = 0; i < 3; ++i) camera.lookat[i] = kBaodingCameraLookat[i];
  camera.distance = kBaodingCameraDistance;
  camera.azimuth = kBaodingCameraAzimuth;
  camera.elevation = kBaodingCameraElevation;
  return camera;
}

}  // namespace

ParamSpecs Hand::Specs() {
  return {
      StringParam("task", "baoding", "the task: baoding (PDDM/CMIL), relocate or door (DAPG)")
          .Choices({kTaskNames[0], kTaskNames[1], kTaskNames[2]}),
      StringListParam("observation", {"pixels"}, "observation keys: \"pixels\" and/or \"state\"")
          .Choices({"state", "pixels"})
          .Length(1, 2),
      IntParam("image_size", 64, "height and width of the `pixels` observation").Range(1, 4096),
      StringParam("camera", "",
                  "camera of `pixels` and Render(\"\"): \"\" = the task's default (baoding: "
                  "cmil; relocate, door: vil_camera); also top, side / fixed"),
      IntParam("episode_length", 0,
               "control steps per episode; 0 = the task's (baoding 75, relocate 200, door 200)")
          .Min(0),
      FloatParam("initial_noise", 0.0, "hand joints start at the reset pose + U(-r, r) rad")
          .Range(0, 0.2),
  };
}

HandConfig Hand::ConfigFrom(const Params& params) {
  HandConfig c;
  c.task = TaskFromName(params.String("task"), params.path() + ".task");
  const int t = static_cast<int>(c.task);
  c.episode_length =
      params.Int("episode_length") > 0 ? params.Int("episode_length") : kTaskEpisodeLength[t];
  c.image_size = static_cast<int>(params.Int("image_size"));
  c.initial_noise = params.Float("initial_noise");
  // the camera among the task's
  const std::string& camera = params.String("camera");
  const std::vector<std::string> cameras = CameraNames(c.task);
  if (!camera.empty()) {
    auto it = std::find(cameras.begin(), cameras.end(), camera);
    if (it == cameras.end()) {
      params.Fail("camera", "'" + camera + "' is not a camera of task " + kTaskNames[t] +
                                " (expected one of: " + Join(cameras) + ")");
    }
    c.camera = static_cast<int>(it - cameras.begin());
  }
  // observation keys, each at most once
  const std::vector<std::string>& keys = params.StringList("observation");
  c.state = c.pixels = false;
  for (const std::string& key : keys) {
    if (std::count(keys.begin(), keys.end(), key) > 1) {
      params.Fail("observation", "\"" + key + "\" is listed twice");
    }
    (key == "state" ? c.state : c.pixels) = true;
  }
  return c;
}

std::unique_ptr<Environment> Hand::Create(const Params& params) {
  return std::make_unique<Hand>(ConfigFrom(params), nullptr, false);
}

Hand::Hand(const HandConfig& config, mujoco::MjModelPtr model, bool planning)
    : config_(config),
      planning_(planning),
      frame_skip_(config.task == Task::kBaoding ? kBaodingFrameSkip : kAdroitFrameSkip),
      model_(model ? std::move(model) : LoadHandModel(config.task)),
      data_(mujoco::MakeData(model_.get())) {
  const int t = static_cast<int>(config_.task);
  IMITATE_CHECK(model_->nq == kTaskNq[t] && model_->nu == kTaskNu[t],
                "hand: the model does not match the task");
  if (planning_) config_.pixels = false;
  // rendering: a renderer and the task's cameras (none in a planning copy)
  if (!planning_) {
    renderer_ =
        std::make_unique<mujoco::Renderer>(model_.get(), config_.image_size, config_.image_size);
    for (const std::string& name : CameraNames(config_.task)) {
      cameras_.push_back(name == "cmil" ? CmilCamera() : mujoco::FixedCamera(model_.get(), name));
    }
  }
  ids_ = FindTaskIds(model_.get(), config_.task);
  // spaces and buffers allocated once
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t state_size = config_.task == Task::kBaoding ? kBaodingObsSize : kAdroitObsSize;
  if (config_.state) {
    observation_spec_["state"] = Space{torch::kFloat32, {state_size}, -inf, inf};
    state_ = observation_spec_["state"].Zeros();
    timestep_.observation["state"] = state_;
  }
  if (config_.pixels) {
    const int s = config_.image_size;
    observation_spec_["pixels"] = Space{torch::kUInt8, {s, s, 3}, 0, 255};
    pixels_ = observation_spec_["pixels"].Zeros();
    timestep_.observation["pixels"] = pixels_;
  }
  action_spec_ = Space{torch::kFloat32, {model_->nu}, -1.0, 1.0};
  // metric keys exist from the start so that steps only overwrite values
  const std::vector<std::string>& names = config_.task == Task::kBaoding    ? kBaodingMetrics
                                          : config_.task == Task::kRelocate ? kRelocateMetrics
                                                                            : kDoorMetrics;
  for (const std::string& name : names) metrics_.push_back(&timestep_.metrics[name]);
  mj_forward(model_.get(), data_.get());
}

std::unique_ptr<Environment> Hand::CloneForPlanning() const {
  HandConfig config = config_;
  config.state = true;
  config.pixels = false;
  mujoco::MjModelPtr model(mj_copyModel(nullptr, model_.get()));
  IMITATE_CHECK(model != nullptr, "hand: mj_copyModel failed");
  return std::make_unique<Hand>(config, std::move(model), true);
}

double Hand::Uniform(double lo, double hi) {
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * u;
}

const TimeStep& Hand::Reset(uint64_t seed) {
  rng_.seed(seed);
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  const int arm = kTaskArmDofs[static_cast<int>(config_.task)];
  // the start: Baoding's keyframe (deterministic, D1); Adroit's zero pose with the task's
  // object positions drawn into the model (B5)
  double random[kStateRandom] = {};
  if (config_.task == Task::kBaoding) {
    mj_resetDataKeyframe(m, d, 0);
  } else {
    mj_resetData(m, d);
    const bool relocate = config_.task == Task::kRelocate;
    for (int i = 0; i < 3; ++i) {
      random[i] = relocate ? Uniform(kRelocateBallLow[i], kRelocateBallHigh[i])
                           : Uniform(kDoorFrameLow[i], kDoorFrameHigh[i]);
    }
    for (int i = 0; relocate && i < 3; ++i) {
      random[3 + i] = Uniform(kRelocateTargetLow[i], kRelocateTargetHigh[i]);
    }
    SetRandomised(random);
  }
  // optional noise on the hand joints (within their ranges)
  for (int j = 0; j < kHandDofs && config_.initial_noise > 0; ++j) {
    const double q = d->qpos[arm + j] + Uniform(-config_.initial_noise, config_.initial_noise);
    d->qpos[arm + j] = std::clamp(q, kHandJointLow[j], kHandJointHigh[j]);
  }
  // Baoding servos start at the start pose (Adroit: ctrl 0, as mj_resetData leaves it)
  for (int j = 0; config_.task == Task::kBaoding && j < kHandDofs; ++j) {
    d->ctrl[j] =
        std::clamp(d->qpos[j], m->actuator_ctrlrange[2 * j], m->actuator_ctrlrange[2 * j + 1]);
  }
  mj_forward(m, d);
  // the first step record
  step_ = 0;
  ended_ = false;
  started_ = true;
  std::fill(std::begin(book_), std::end(book_), 0.0);
  Observe(true);
  timestep_.reward = 0.0;
  timestep_.is_first = true;
  timestep_.is_last = false;
  timestep_.is_terminal = false;
  return timestep_;
}

const TimeStep& Hand::Step(const torch::Tensor& action) {
  if (!started_) throw UsageError("hand: Step before Reset");
  if (ended_) throw UsageError("hand: Step after the episode ended; call Reset");
  const int64_t nu = model_->nu;
  if (!action.defined() || action.dim() != 1 || action.size(0) != nu) {
    throw UsageError("hand: the action must be float32 [" + std::to_string(nu) + "], got shape " +
                     (action.defined() ? c10::str(action.sizes()) : std::string("undefined")));
  }
  torch::Tensor a = action;
  if (a.scalar_type() != torch::kFloat32 || !a.is_contiguous() || !a.device().is_cpu()) {
    a = a.to(torch::kCPU, torch::kFloat32).contiguous();
  }
  const float* values = a.data_ptr<float>();
  for (int64_t i = 0; i < nu; ++i) {
    if (!std::isfinite(values[i])) throw UsageError("hand: the action is not finite");
  }
  // servo targets (D4 for Baoding, B4 for Adroit), held for the frame skip
  mjData* d = data_.get();
  if (config_.task == Task::kBaoding) {
    BaodingControls(model_.get(), values, d->qpos, d->ctrl);
  } else {
    AdroitControls(model_.get(), values, d->ctrl);
  }
  for (int i = 0; i < frame_skip_; ++i) mj_step(model_.get(), d);
  // frames of the new positions (rewards, observations, rendering)
  mj_kinematics(model_.get(), d);
  mj_camlight(model_.get(), d);
  ++step_;
  Observe(false);
  return timestep_;
}

void Hand::Observe(bool first) {
  const mjData* d = data_.get();
  float* state = state_.defined() ? state_.data_ptr<float>() : nullptr;
  StepScore score;
  if (config_.task == Task::kBaoding) {
    // targets of the step counter before this step's increment (D6); reward (D7)
    BaodingTargets(model_.get(), d, ids_, first ? 0 : step_ - 1, targets_);
    score = BaodingScore(d, targets_);
    if (!first) BaodingRecord(score, step_, book_);
    double metrics[kStateBook];
    BaodingMetrics(book_, step_, metrics);
    for (int i = 0; i < kStateBook; ++i) *metrics_[i] = metrics[i];
    if (state) BaodingObservation(d, targets_, state);
  } else {
    // dense reward and goal (B7); success = goal on more than 25 steps
    const bool relocate = config_.task == Task::kRelocate;
    score = relocate ? RelocateScore(model_.get(), d, ids_) : DoorScore(model_.get(), d, ids_);
    if (!first && score.goal) book_[kGoalSteps] += 1.0;
    *metrics_[0] = book_[kGoalSteps] > kAdroitSuccessSteps ? 1.0 : 0.0;
    *metrics_[1] = book_[kGoalSteps];
    *metrics_[2] = relocate ? score.distance[0] : d->qpos[kDoorHingeQpos];
    if (state && relocate) RelocateObservation(d, ids_, state);
    if (state && !relocate) DoorObservation(d, ids_, state);
  }
  if (pixels_.defined()) {
    renderer_->Render(d, cameras_[config_.camera], config_.image_size, config_.image_size,
                      pixels_.data_ptr<uint8_t>());
  }
  if (first) return;
  // the step record: a Baoding drop ends the episode (D7)
  ended_ = score.dropped || step_ >= config_.episode_length;
  timestep_.reward = score.reward;
  timestep_.is_first = false;
  timestep_.is_last = ended_;
  timestep_.is_terminal = score.dropped;
}

const mjvCamera& Hand::CameraByName(const std::string& name) const {
  if (!renderer_) throw UsageError("hand: a planning copy does not render");
  if (name.empty()) return cameras_[config_.camera];
  const std::vector<std::string> names = CameraNames(config_.task);
  for (size_t i = 0; i < names.size(); ++i) {
    if (name == names[i]) return cameras_[i];
  }
  throw UsageError("hand: unknown camera '" + name + "' (cameras: " + Join(names) + ")");
}

torch::Tensor Hand::Render(const std::string& camera, int width, int height) {
  const mjvCamera& view = CameraByName(camera);
  if (width < 1 || height < 1 || width > kMaxRenderSize || height > kMaxRenderSize) {
    throw UsageError("hand: render size must be in [1, 4096], got " + std::to_string(width) + "x" +
                     std::to_string(height));
  }
  torch::Tensor image = torch::empty({height, width, 3}, torch::kUInt8);
  renderer_->Render(data_.get(), view, width, height, image.data_ptr<uint8_t>());
  return image;
}

std::vector<std::string> Hand::Cameras() const {
  if (planning_) return {};
  return CameraNames(config_.task);
}

void Hand::GetRandomised(double* out) const {
  std::fill(out, out + kStateRandom, 0.0);
  if (config_.task == Task::kRelocate) {
    std::copy_n(model_->body_pos + 3 * ids_.object_body, 3, out);
    std::copy_n(model_->site_pos + 3 * ids_.target_site, 3, out + 3);
  } else if (config_.task == Task::kDoor) {
    std::copy_n(model_->body_pos + 3 * ids_.frame_body, 3, out);
  }
}

void Hand::SetRandomised(const double* in) {
  if (config_.task == Task::kRelocate) {
    std::copy_n(in, 3, model_->body_pos + 3 * ids_.object_body);
    std::copy_n(in + 3, 3, model_->site_pos + 3 * ids_.target_site);
  } else if (config_.task == Task::kDoor) {
    std::copy_n(in, 3, model_->body_pos + 3 * ids_.frame_body);
  }
}

SimState Hand::GetState() const {
  const mjModel* m = model_.get();
  const mjData* d = data_.get();
  SimState s(static_cast<size_t>(StateSize(config_.task)), 0.0);
  auto out = s.begin();
  out[kStateTime] = d->time;
  out[kStateStep] = static_cast<double>(step_);
  out[kStateEnded] = ended_ ? 1.0 : 0.0;
  out += kStateQpos;
  out = std::copy_n(d->qpos, m->nq, out);
  out = std::copy_n(d->qvel, m->nv, out);
  out = std::copy_n(d->act, m->na, out);
  out = std::copy_n(d->ctrl, m->nu, out);
  out = std::copy_n(d->qacc_warmstart, m->nv, out);
  GetRandomised(&*out);
  out += kStateRandom;
  std::copy_n(book_, kStateBook, out);
  return s;
}

void Hand::SetState(const SimState& s) {
  const size_t size = static_cast<size_t>(StateSize(config_.task));
  if (s.size() != size) {
    throw UsageError("hand: SetState expects " + std::to_string(size) + " values for task " +
                     kTaskNames[static_cast<int>(config_.task)] + ", got " +
                     std::to_string(s.size()));
  }
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  auto in = s.begin() + kStateQpos;
  d->time = s[kStateTime];
  std::copy_n(in, m->nq, d->qpos);
  std::copy_n(in += m->nq, m->nv, d->qvel);
  std::copy_n(in += m->nv, m->na, d->act);
  std::copy_n(in += m->na, m->nu, d->ctrl);
  in += m->nu;
  const auto warmstart = in;
  SetRandomised(&*(in += m->nv));
  std::copy_n(in += kStateRandom, kStateBook, book_);
  // derived quantities, then the saved warm start (mj_forward must not change it)
  mj_forward(m, d);
  std::copy_n(warmstart, m->nv, d->qacc_warmstart);
  step_ = static_cast<int64_t>(s[kStateStep]);
  ended_ = s[kStateEnded] != 0.0;
  started_ = true;
  if (config_.task == Task::kBaoding) {
    BaodingTargets(m, d, ids_, std::max<int64_t>(step_ - 1, 0), targets_);
  }
}

}  // namespace imitate::plugins::hand
