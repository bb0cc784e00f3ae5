#include "plugins/experts/hand_script/hand_script_expert.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/mujoco/model.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"

namespace imitate::plugins::hand_script {
namespace {

namespace layout = ::imitate::plugins::hand;

constexpr double kDt = layout::kAdroitTimestep * layout::kAdroitFrameSkip;  // s per step

// hand joint targets (kHandJoints order): open for the approach, closed around the ball
// (B10: fingers 1.6, thumb THJ4 1.0, THJ3 1.3, THJ2 0.1, THJ1 0.35, THJ0 -0.5)
constexpr double kOpenPose[layout::kHandDofs] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr double kClosedPose[layout::kHandDofs] = {0,   0,   0,   1.6, 1.6, 1.6, 0,    1.6,
                                                   1.6, 1.6, 0,   1.6, 1.6, 1.6, 0,    0,
                                                   1.6, 1.6, 1.6, 1.0, 1.3, 0.1, 0.35, -0.5};
constexpr int kFirstThumbJoint = 19;  // THJ4

// the palm site's grasp point relative to the ball centre (m): 4.2 cm behind it, so that the
// curling fingers wrap its front half; the middle of the 2.5-6 cm that all worked (README)
constexpr double kGraspOffset[3] = {0.0, -0.042, 0.0};

// phase durations at speed 1 (steps): a base plus a part per metre of travel
constexpr double kApproachSteps = 30, kApproachPerMetre = 40;
constexpr double kDescendSteps = 20;
constexpr double kCloseSteps = 28;
constexpr double kCarrySteps = 25, kCarryPerMetre = 60;
// the carry lifts first: z over the first 60 % of it, x and y over its last 80 %
constexpr double kLiftShare = 0.6, kTravelStart = 0.2;

// the pitch the arm keeps while its vertical slide stays within these bounds (m)
constexpr double kPreferredPitch = 0.05;
constexpr double kSlideLow = 0.02, kSlideHigh = 0.18;
constexpr double kPitchFilter = 0.2;  // low-pass share of the new pitch per step

// hold: integral correction of the ball's position (per second), and its bound (m)
constexpr double kHoldGain = 3.0, kHoldBound = 0.06;
// bounds on the reference joint velocity and acceleration fed forward (units per second)
constexpr double kMaxRefVelocity = 2.0;
constexpr double kMaxRefAcceleration = 10.0;
constexpr double kAccelerationFilter = 0.3;  // low-pass share of the new difference per step

// minimum-jerk time scaling of s in [0, 1]
double MinJerk(double s) {
  s = std::clamp(s, 0.0, 1.0);
  return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s);
}

Vec3 Read3(const double* p) { return {p[0], p[1], p[2]}; }

double Distance(const Vec3& a, const Vec3& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                   (a[2] - b[2]) * (a[2] - b[2]));
}

}  // namespace

ParamSpecs HandScriptExpert::Specs() {
  return {
      FloatParam("speed", 1.0, "speed scale of every phase (1 = the nominal durations)")
          .Range(0.8, 1.5),
      BoolParam("randomize", true, "draw offsets, durations and pauses from the seed"),
      FloatParam("offset_noise", 0.01, "half-width of the uniform grasp offsets (m)")
          .Range(0, 0.015),
      FloatParam("pause_probability", 0.1, "chance of a 1-3 step pause before each phase")
          .Range(0, 0.5),
      FloatParam("stiffness", 12.0, "natural frequency of the arm's PD law (rad/s)").Range(6, 20),
      FloatParam("damping_ratio", 1.0, "damping ratio of the arm's PD law").Range(0.5, 1.5),
  };
}

std::unique_ptr<Expert> HandScriptExpert::Create(const Params& params) {
  return std::make_unique<HandScriptExpert>(params);
}

HandScriptExpert::HandScriptExpert(const Params& params)
    : speed_(params.Float("speed")),
      randomize_(params.Bool("randomize")),
      offset_noise_(params.Float("offset_noise")),
      pause_probability_(params.Float("pause_probability")),
      omega_(params.Float("stiffness")),
      zeta_(params.Float("damping_ratio")),
      trace_(std::getenv("HAND_SCRIPT_TRACE") ? std::atoi(std::getenv("HAND_SCRIPT_TRACE")) : 0) {}

const char* HandScriptExpert::PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kApproach:
      return "approach";
    case Phase::kDescend:
      return "descend";
    case Phase::kClose:
      return "close";
    case Phase::kCarry:
      return "carry";
    case Phase::kHold:
      return "hold";
  }
  return "?";
}

double HandScriptExpert::Draw(double lo, double hi) {
  if (!randomize_) return 0.5 * (lo + hi);
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * u;
}

void HandScriptExpert::Bind(Environment& env) {
  auto* mj = dynamic_cast<MujocoEnvironment*>(&env);
  if (mj == nullptr) throw UsageError("hand_script: the environment is not a MuJoCo environment");
  const mjModel* m = mj->Model();
  if (m == model_) return;
  // the task, told apart by the model's size and its ball
  const int relocate = static_cast<int>(layout::Task::kRelocate);
  if (m->nu != layout::kTaskNu[relocate] ||
      mj_name2id(m, mjOBJ_BODY, layout::kRelocateBallBody) < 0) {
    std::string task = "an unknown task";
    for (int t = 0; t < layout::kNumTasks; ++t) {
      if (m->nu == layout::kTaskNu[t]) task = std::string("task ") + layout::kTaskNames[t];
    }
    throw ConfigError("hand_script drives only the hand task relocate, but the environment runs " +
                      task + " (set environment.task = \"relocate\")");
  }
  model_ = m;
  arm_ = std::make_unique<RelocateArm>(m);
  ball_body_ = mujoco::NameToId(m, mjOBJ_BODY, layout::kRelocateBallBody, "hand_script ball");
  target_site_ = mujoco::NameToId(m, mjOBJ_SITE, layout::kRelocateTargetSite, "hand_script target");
  palm_site_ = mujoco::NameToId(m, mjOBJ_SITE, layout::kPalmSite, "hand_script palm site");
  palm_body_ = mujoco::NameToId(m, mjOBJ_BODY, layout::kPalmBody, "hand_script palm");
  // the actuator of each hand joint
  for (int j = 0; j < layout::kHandDofs; ++j) {
    const int joint = mujoco::NameToId(m, mjOBJ_JOINT, layout::kHandJoints[j], "hand joint");
    hand_actuator_[j] = -1;
    for (int a = 0; a < m->nu; ++a) {
      if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == joint) {
        hand_actuator_[j] = a;
      }
    }
    if (hand_actuator_[j] < 0) {
      throw ConfigError(std::string("hand_script: no actuator drives ") + layout::kHandJoints[j]);
    }
  }
  ctrl_.assign(m->nu, 0.0);
  nominal_qpos_.assign(m->nq, 0.0);  // the reference pose of the kinematics: wrist straight
}

void HandScriptExpert::Reset(Environment& env, const TimeStep& /*first*/, uint64_t seed) {
  Bind(env);
  rng_.seed(seed);
  started_ = true;
  // the episode's draws
  draws_ = Draws();
  draws_.speed = speed_ * Draw(0.9, 1.1);
  for (int k = 0; k < 3; ++k) {
    draws_.grasp[k] = kGraspOffset[k] + Draw(-offset_noise_, offset_noise_);
  }
  draws_.hover = Draw(0.06, 0.08);
  draws_.behind = Draw(0.03, 0.05);
  draws_.thumb = Draw(0.95, 1.0);
  draws_.thumb_lead = Draw(0.3, 0.5);
  for (int& p : draws_.pause) {
    p = (randomize_ && Draw(0, 1) < pause_probability_) ? 1 + static_cast<int>(Draw(0, 2.999)) : 0;
  }
  draws_.pause[0] = 0;  // no pause at the very start
  // the first phase
  const mjData* d = dynamic_cast<MujocoEnvironment&>(env).Data();
  step_ = 0;
  have_ref_ = false;
  last_a_ref_ = {};
  integral_ = {0, 0, 0};
  phase_site_ = Read3(d->site_xpos + 3 * palm_site_);
  StartPhase(Phase::kApproach, d);
}

void HandScriptExpert::StartPhase(Phase phase, const mjData* d) {
  phase_ = phase;
  phase_step_ = 0;
  pause_left_ = draws_.pause[static_cast<int>(phase)];
  if (have_ref_) phase_site_ = last_site_ref_;
  phase_ball_ = Read3(d->xpos + 3 * ball_body_);
  const Vec3 target = Read3(d->site_xpos + 3 * target_site_);
  double steps = 1;
  switch (phase) {
    case Phase::kApproach: {
      const Vec3 hover = {phase_ball_[0] + draws_.grasp[0],
                          phase_ball_[1] + draws_.grasp[1] - draws_.behind,
                          phase_ball_[2] + draws_.grasp[2] + draws_.hover};
      steps = kApproachSteps + kApproachPerMetre * Distance(phase_site_, hover);
      break;
    }
    case Phase::kDescend:
      steps = kDescendSteps;
      break;
    case Phase::kClose:
      steps = kCloseSteps;
      grasp_site_ = phase_site_;
      break;
    case Phase::kCarry: {
      // the ball's place in the palm frame, kept during the carry
      const double* r = d->xmat + 9 * palm_body_;
      const Vec3 site = Read3(d->site_xpos + 3 * palm_site_);
      for (int i = 0; i < 3; ++i) {
        hold_offset_[i] = 0;
        for (int k = 0; k < 3; ++k) hold_offset_[i] += r[3 * k + i] * (site[k] - phase_ball_[k]);
      }
      // the reference starts where the last one was and blends into the ball's over the lift
      for (int k = 0; k < 3; ++k) carry_blend_[k] = phase_site_[k] - site[k];
      steps = kCarrySteps + kCarryPerMetre * Distance(phase_ball_, target);
      break;
    }
    case Phase::kHold:
      steps = 1e9;
      break;
  }
  phase_length_ = std::max(1, static_cast<int>(std::lround(steps / draws_.speed)));
}

Vec3 HandScriptExpert::SiteReference(const mjData* d, double& closure) {
  const Vec3 ball = Read3(d->xpos + 3 * ball_body_);
  const Vec3 target = Read3(d->site_xpos + 3 * target_site_);
  const double s = MinJerk(static_cast<double>(phase_step_) / phase_length_);
  // the grasp point and the point above and behind it, on the current ball
  const Vec3 grasp = {ball[0] + draws_.grasp[0], ball[1] + draws_.grasp[1],
                      ball[2] + draws_.grasp[2]};
  const Vec3 hover = {grasp[0], grasp[1] - draws_.behind, grasp[2] + draws_.hover};
  // the ball's place in the palm frame turned into the world
  const double* r = d->xmat + 9 * palm_body_;
  Vec3 offset{};
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 3; ++k) offset[i] += r[3 * i + k] * hold_offset_[k];
  }
  Vec3 ref{};
  switch (phase_) {
    case Phase::kApproach:
      closure = 0;
      for (int k = 0; k < 3; ++k) ref[k] = phase_site_[k] + s * (hover[k] - phase_site_[k]);
      break;
    case Phase::kDescend:
      closure = 0;
      for (int k = 0; k < 3; ++k) ref[k] = phase_site_[k] + s * (grasp[k] - phase_site_[k]);
      break;
    case Phase::kClose:
      closure = s;
      ref = grasp_site_;
      break;
    case Phase::kCarry: {
      // lift first, then travel; the ball's reference carries the palm
      closure = 1;
      const double t = static_cast<double>(phase_step_) / phase_length_;
      const double sz = MinJerk(t / kLiftShare);
      const double sxy = MinJerk((t - kTravelStart) / (1.0 - kTravelStart));
      for (int k = 0; k < 3; ++k) {
        const double sk = k == 2 ? sz : sxy;
        ref[k] = phase_ball_[k] + sk * (target[k] - phase_ball_[k]) + offset[k] +
                 (1.0 - sz) * carry_blend_[k];
      }
      break;
    }
    case Phase::kHold:
      closure = 1;
      for (int k = 0; k < 3; ++k) {
        integral_[k] = std::clamp(integral_[k] + kHoldGain * kDt * (target[k] - ball[k]),
                                  -kHoldBound, kHoldBound);
        ref[k] = target[k] + offset[k] + integral_[k];
      }
      break;
  }
  return ref;
}

torch::Tensor HandScriptExpert::Act(Environment& env, const TimeStep& /*current*/) {
  if (!started_) throw UsageError("hand_script: Act before Reset");
  Bind(env);
  const mjData* d = dynamic_cast<MujocoEnvironment&>(env).Data();
  const mjModel* m = model_;
  // advance finished phases
  if (phase_ != Phase::kHold && pause_left_ == 0 && phase_step_ >= phase_length_) {
    StartPhase(static_cast<Phase>(static_cast<int>(phase_) + 1), d);
  }
  // the palm site reference (frozen during a pause) and the finger closure
  double closure = 0;
  Vec3 site_ref = SiteReference(d, closure);
  if (pause_left_ > 0) {
    --pause_left_;
    site_ref = phase_site_;
  } else {
    ++phase_step_;
  }
  // arm joints for the reference, at a pitch that keeps the vertical slide in range
  // (low-pass filtered: the slides make up for the lag, and the switch between the preferred
  // pitch and a slide bound leaves no kink in the joint references)
  const double pitch =
      arm_->PitchFor(nominal_qpos_.data(), site_ref, kPreferredPitch, kSlideLow, kSlideHigh);
  pitch_ = have_ref_ ? pitch_ + kPitchFilter * (pitch - pitch_) : pitch;
  ArmVector q_ref = arm_->Solve(nominal_qpos_.data(), site_ref, pitch_);
  for (int j = 0; j < kArmJoints; ++j) q_ref[j] = std::clamp(q_ref[j], arm_->Low(j), arm_->High(j));
  // reference velocities and accelerations by finite differences (bounded)
  ArmVector v_ref{}, a_ref{};
  for (int j = 0; have_ref_ && j < kArmJoints; ++j) {
    v_ref[j] = std::clamp((q_ref[j] - last_q_ref_[j]) / kDt, -kMaxRefVelocity, kMaxRefVelocity);
    const double a =
        std::clamp((v_ref[j] - last_v_ref_[j]) / kDt, -kMaxRefAcceleration, kMaxRefAcceleration);
    a_ref[j] = last_a_ref_[j] + kAccelerationFilter * (a - last_a_ref_[j]);
  }
  last_q_ref_ = q_ref;
  last_v_ref_ = v_ref;
  last_a_ref_ = a_ref;
  last_site_ref_ = site_ref;
  have_ref_ = true;
  arm_->Controls(d, q_ref, v_ref, a_ref, omega_, zeta_, ctrl_.data());
  // wrist straight, fingers and thumb between open and closed
  for (int j = 0; j < layout::kHandDofs; ++j) {
    const double scale = j >= kFirstThumbJoint ? draws_.thumb : 1.0;
    const double lead = draws_.thumb_lead;
    const double c = j >= kFirstThumbJoint ? std::min(1.0, closure / (1.0 - lead))
                                           : std::max(0.0, (closure - lead) / (1.0 - lead));
    ctrl_[hand_actuator_[j]] = kOpenPose[j] + c * scale * (kClosedPose[j] - kOpenPose[j]);
  }
  // the environment's action: a = (ctrl - mid) / half-range
  torch::Tensor action = torch::empty({m->nu}, torch::kFloat32);
  float* a = action.data_ptr<float>();
  for (int i = 0; i < m->nu; ++i) {
    const double lo = m->actuator_ctrlrange[2 * i], hi = m->actuator_ctrlrange[2 * i + 1];
    a[i] = static_cast<float>(std::clamp((2.0 * ctrl_[i] - lo - hi) / (hi - lo), -1.0, 1.0));
  }
  // optional trace
  if (trace_ > 0) {
    const double* b = d->xpos + 3 * ball_body_;
    const double* t = d->site_xpos + 3 * target_site_;
    const double* p = d->site_xpos + 3 * palm_site_;
    const ArmVector q = arm_->Positions(d);
    std::fprintf(stderr,
                 "%3lld %-8s ref %6.3f %6.3f %6.3f site %6.3f %6.3f %6.3f ball %6.3f %6.3f %6.3f "
                 "tgt %6.3f %6.3f %6.3f pitch %5.2f/%5.2f up %5.3f/%5.3f\n",
                 static_cast<long long>(step_), PhaseName(phase_), site_ref[0], site_ref[1],
                 site_ref[2], p[0], p[1], p[2], b[0], b[1], b[2], t[0], t[1], t[2], pitch_,
                 q[kPitch], q_ref[kSlideUp], q[kSlideUp]);
    if (trace_ >= 2) {
      for (int j = 0; j < kArmJoints; ++j) {
        std::fprintf(stderr, "    j%d q %7.3f ref %7.3f ctrl %7.3f\n", j, q[j], q_ref[j], ctrl_[j]);
      }
      const double* r = d->qpos + layout::kRelocateBallQpos + 3;
      const double* w = d->qvel + layout::kRelocateBallQpos + 3;
      std::fprintf(stderr, "    ball hinges %7.3f %7.3f %7.3f rates %8.2f %8.2f %8.2f\n", r[0],
                   r[1], r[2], w[0], w[1], w[2]);
    }
  }
  ++step_;
  return action;
}

}  // namespace imitate::plugins::hand_script
