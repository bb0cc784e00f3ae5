#include "plugins/experts/kitchen_script/kitchen_script_expert.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "imitate/sdk/errors.h"
#include "plugins/environments/kitchen/kitchen_layout.h"
#include "plugins/environments/kitchen/kitchen_model.h"

namespace imitate::plugins::kitchen_script {
namespace {

namespace layout = ::imitate::plugins::kitchen;

constexpr double kNominalSpeed = 0.035;   // site speed at speed = 1 (m per control step)
constexpr double kMaxRotationStep = 0.3;  // rad per control step
constexpr double kActionSpan = layout::kActionScale * layout::kControlDt;  // q change of a = 1
constexpr double kHomeGain = 0.35;     // fraction of the joint error per step going home
constexpr double kHomeStep = 0.075;    // rad per step going home
constexpr double kLimitMargin = 0.01;  // rad kept from each joint limit by the IK
constexpr double kSpeedSpread = 0.15;  // per-segment speed jitter when randomising
constexpr double kGoalSpread = 0.03;   // object goal jitter when randomising

}  // namespace

ParamSpecs KitchenScriptExpert::Specs() {
  return {
      StringListParam("tasks", {"microwave", "kettle", "light_switch", "slide_cabinet"},
                      "tasks in the order the expert does them (as the environment's `tasks`)")
          .Length(1, 7),
      FloatParam("speed", 1.0, "nominal speed scale (1 = 3.5 cm of end-effector travel per step)")
          .Range(0.2, 2.0),
      BoolParam("randomize", true, "draw offsets, speeds, goals and pauses from the seed"),
      FloatParam("offset_noise", 0.015, "half-width of uniform waypoint offsets (m)")
          .Range(0, 0.05),
      FloatParam("pause_probability", 0.05, "chance of a 1-4 step pause before each segment")
          .Range(0, 0.5),
      FloatParam("damping", 0.05, "damped-least-squares lambda").Range(1e-4, 1.0),
      FloatParam("gain", 0.8, "fraction of the (speed-limited) Cartesian error corrected per step")
          .Range(0.05, 1.5),
  };
}

std::unique_ptr<Expert> KitchenScriptExpert::Create(const Params& params) {
  for (const std::string& task : params.StringList("tasks")) {
    const auto& known = KnownTasks();
    if (std::find(known.begin(), known.end(), task) == known.end()) {
      params.Fail("tasks", "unknown task '" + task + "'" +
                               (DidYouMean(task, known).empty()
                                    ? std::string()
                                    : " (did you mean '" + DidYouMean(task, known) + "'?)"));
    }
  }
  return std::make_unique<KitchenScriptExpert>(params);
}

KitchenScriptExpert::KitchenScriptExpert(const Params& params)
    : tasks_(params.StringList("tasks")),
      speed_(params.Float("speed")),
      randomize_(params.Bool("randomize")),
      offset_noise_(params.Float("offset_noise")),
      pause_probability_(params.Float("pause_probability")),
      damping_(params.Float("damping")),
      gain_(params.Float("gain")),
      orientation_gain_(0.7),
      null_gain_(0.2) {
  arm_ = std::make_unique<ArmKinematics>(layout::LoadKitchenModel(), layout::kEndEffectorSite);
  // fraction of a target step a damped position servo covers in one control period
  const mjModel* m = arm_->model();
  for (int j = 0; j < kArmJoints; ++j) {
    double kp = 0;
    for (int a = 0; a < m->nu; ++a) {
      if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == j) {
        kp = m->actuator_gainprm[a * mjNGAIN];
      }
    }
    double damping = m->dof_damping[j];
    coverage_[j] = (kp > 0 && damping > 0)
                       ? std::clamp(1.0 - std::exp(-layout::kControlDt * kp / damping), 0.3, 1.0)
                       : 1.0;
  }
  qpos_.assign(m->nq, 0.0);
  // joint limits for the IK: the model's and the env's target clamp, with a margin
  for (int j = 0; j < kArmJoints; ++j) {
    lower_[j] = std::max(arm_->lower()[j], layout::kPosLow[j]) + kLimitMargin;
    upper_[j] = std::min(arm_->upper()[j], layout::kPosHigh[j]) - kLimitMargin;
  }
}

void KitchenScriptExpert::Reset(Environment& env, const TimeStep& /*first*/, uint64_t seed) {
  rng_.seed(seed);
  ReadState(env);
  arm_->SetQpos(qpos_.data());
  initial_frame_ = arm_->SiteFrame();
  // the null-space rest posture and the posture between tasks: the initial pose
  for (int j = 0; j < kArmJoints; ++j) rest_[j] = home_[j] = qpos_[j];
  last_frame_ = initial_frame_;
  // the episode's plan: every task in order
  PlanNoise noise;
  if (randomize_) {
    noise.offset = offset_noise_;
    noise.speed_spread = kSpeedSpread;
    noise.goal_spread = kGoalSpread;
    noise.pause_probability = pause_probability_;
  }
  episode_speed_ = speed_ * (randomize_ ? Uniform(rng_, 0.9, 1.1) : 1.0);
  plan_.clear();
  for (size_t i = 0; i < tasks_.size(); ++i) {
    std::vector<Segment> part = PlanTask(tasks_[i], noise, rng_);
    // between tasks, back to the initial posture (resets the arm's redundancy), except before a
    // joint-space move (the pause may come first) and between the two pushes at the top
    bool direct = part.front().kind == SegmentKind::kJoint ||
                  (part.size() > 1 && part[1].kind == SegmentKind::kJoint);
    bool push_after_push = i > 0 && tasks_[i] == "slide_cabinet" && tasks_[i - 1] == "light_switch";
    if (i > 0 && !direct && !push_after_push) plan_.push_back(HomeSegment());
    plan_.insert(plan_.end(), part.begin(), part.end());
  }
  StartSegment(0);
}

std::string KitchenScriptExpert::CurrentLabel() const {
  return segment_ < plan_.size() ? plan_[segment_].label : "done";
}

void KitchenScriptExpert::ReadState(Environment& env) {
  const SimState s = env.GetState();
  if (s.size() != static_cast<size_t>(layout::kStateSize)) {
    throw UsageError("kitchen_script expert: the environment's state has " +
                     std::to_string(s.size()) + " values (is it a kitchen environment?)");
  }
  std::copy(s.begin() + layout::kStateQpos, s.begin() + layout::kStateQpos + layout::kNq,
            qpos_.begin());
  // the noisy robot qpos of the last observation, which the env's action is relative to
  std::copy(s.begin() + layout::kStateObsQpos, s.begin() + layout::kStateObsQpos + kArmJoints,
            observed_.begin());
  for (int i = 0; i < layout::kNumTasks; ++i) done_[i] = s[layout::kStateDone + i] != 0.0;
}

Mat3 KitchenScriptExpert::GraspFrame(Grasp grasp) const {
  if (grasp == Grasp::kFront) return initial_frame_;
  if (grasp == Grasp::kFrontFlipped) {
    const Mat3& f = initial_frame_;
    return RotateWorld(f, {f[2], f[5], f[8]}, M_PI);
  }
  // approach straight down, fingers closing along world y
  Mat3 down = RotateWorld(initial_frame_, {1, 0, 0}, -M_PI / 2);
  return RotateWorld(down, {0, 0, 1}, M_PI / 2);
}

torch::Tensor KitchenScriptExpert::Act(Environment& env, const TimeStep& /*current*/) {
  ReadState(env);
  arm_->SetQpos(qpos_.data());
  Vec3 target;
  Mat3 frame;
  Target(target, frame);
  last_frame_ = frame;
  const double gripper = segment_ < plan_.size() ? plan_[segment_].gripper : 1.0;
  double speed = episode_speed_ * (segment_ < plan_.size() ? plan_[segment_].speed : 1.0);
  ++segment_steps_;
  // a speed-limited Cartesian step and a rate-limited rotation
  const Vec3 site = arm_->SitePosition();
  Vec3 ep{target[0] - site[0], target[1] - site[1], target[2] - site[2]};
  double limit = kNominalSpeed * speed, norm = Norm(ep);
  if (norm > limit)
    for (double& v : ep) v *= limit / norm;
  Vec3 er = RotationError(arm_->SiteFrame(), frame);
  if (segment_ < plan_.size() && plan_[segment_].free_yaw) er[2] = 0;  // any yaw about world z
  double rnorm = Norm(er);
  if (rnorm > kMaxRotationStep)
    for (double& v : er) v *= kMaxRotationStep / rnorm;
  const double weight = segment_ < plan_.size() ? plan_[segment_].orientation_weight : 1.0;
  std::array<double, 6> error{};
  for (int k = 0; k < 3; ++k) {
    error[k] = gain_ * ep[k];
    error[3 + k] = orientation_gain_ * weight * er[k];
  }
  ArmVector dq = arm_->SolveDls(error, damping_, rest_, null_gain_, lower_, upper_);
  if (segment_ < plan_.size() &&
      (plan_[segment_].kind == SegmentKind::kHome || plan_[segment_].kind == SegmentKind::kJoint)) {
    // joint space: a fraction of the way to the goal posture, rate-limited
    for (int j = 0; j < kArmJoints; ++j) {
      dq[j] = std::clamp(kHomeGain * speed * (joint_goal_[j] - qpos_[j]), -kHomeStep, kHomeStep);
    }
  }
  ArmVector sag = arm_->GravitySag();
  // absolute servo targets, expressed as the env's velocity action on the observed pose
  torch::Tensor action = torch::empty({layout::kActionSize}, torch::kFloat32);
  float* a = action.data_ptr<float>();
  for (int j = 0; j < kArmJoints; ++j) {
    double step = std::clamp(dq[j] / coverage_[j], -0.15, 0.15);
    double goal = std::clamp(qpos_[j] + step + sag[j], layout::kPosLow[j], layout::kPosHigh[j]);
    double observed = observed_[j];
    a[j] = static_cast<float>(std::clamp((goal - observed) / kActionSpan, -1.0, 1.0));
  }
  a[7] = a[8] = static_cast<float>(gripper);
  return action;
}

}  // namespace imitate::plugins::kitchen_script
