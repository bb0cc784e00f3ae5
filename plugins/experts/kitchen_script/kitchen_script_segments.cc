// The segment logic of the kitchen_script expert: starting a plan segment at the current state,
// deciding when it is finished, the site target and frame it commands each step, and the IK
// solve of joint-space moves.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "plugins/experts/kitchen_script/arm_kinematics.h"
#include "plugins/experts/kitchen_script/kitchen_script_expert.h"

namespace imitate::plugins::kitchen_script {
namespace {

constexpr double kHomeTolerance = 0.08;  // rad: a joint-space move has arrived

}  // namespace

void KitchenScriptExpert::StartSegment(size_t index) {
  if (std::getenv("KITCHEN_SCRIPT_TRACE") && segment_ < plan_.size()) {
    const Vec3 p = arm_->SitePosition();
    std::fprintf(stderr, "  %-14s %3d steps  site (%.3f %.3f %.3f) kettle (%.3f %.3f %.3f) q",
                 plan_[segment_].label.c_str(), segment_steps_, p[0], p[1], p[2], qpos_[23],
                 qpos_[24], qpos_[25]);
    for (int j = 0; j < kArmJoints; ++j) std::fprintf(stderr, " %.2f", qpos_[j]);
    std::fprintf(stderr, " knob4 %.2f hinge %.2f", qpos_[15], qpos_[21]);
    std::fprintf(stderr, "\n");
  }
  segment_ = index;
  segment_steps_ = 0;
  if (segment_ >= plan_.size()) return;
  const Segment& s = plan_[segment_];
  segment_start_ = arm_->SitePosition();
  segment_frame_ = RotateWorld(GraspFrame(s.grasp), {0, 0, 1}, s.yaw);
  if (s.keep_frame) segment_frame_ = last_frame_;
  segment_target_ = s.target;
  if (s.relative) {
    // holds and retreats keep the last commanded frame (e.g. yawed with a door)
    segment_frame_ = last_frame_;
    // offset from here, and back along -approach (the frame's z axis)
    Mat3 f = arm_->SiteFrame();
    for (int k = 0; k < 3; ++k)
      segment_target_[k] = segment_start_[k] + s.target[k] - s.back * f[3 * k + 2];
  }
  if (s.kind == SegmentKind::kArc) {
    // the grasped point in the door's frame (rotated back by the door angle)
    arc_angle0_ = qpos_[s.joint];
    double dx = segment_start_[0] - s.pivot[0], dy = segment_start_[1] - s.pivot[1];
    double c = std::cos(-arc_angle0_), sn = std::sin(-arc_angle0_);
    arc_local_ = {c * dx - sn * dy, sn * dx + c * dy, segment_start_[2]};
    segment_frame_ = arm_->SiteFrame();
  }
  if (s.kind == SegmentKind::kHome) joint_goal_ = rest_ = home_;
  if (s.kind == SegmentKind::kJoint) {
    ArmVector near{};
    std::copy(qpos_.begin(), qpos_.begin() + kArmJoints, near.begin());
    joint_goal_ = PlanJoints(s.target, segment_frame_, near);
    last_frame_ = segment_frame_;
    rest_ = joint_goal_;
  }
  if (s.kind == SegmentKind::kTurn) {
    segment_target_ = segment_start_;
    segment_frame_ = arm_->SiteFrame();
  }
}

ArmVector KitchenScriptExpert::PlanJoints(const Vec3& position, Mat3& frame,
                                          const ArmVector& near) {
  std::mt19937_64 rng(12345);  // fixed: the episode's draws stay as they were
  std::vector<double> seed = qpos_;
  ArmVector best = home_;
  Mat3 best_frame = frame;
  double best_cost = 1e9;
  // the frame may turn about world z and x (a hooked handle tolerates it)
  const bool turn = plan_[segment_].turn_frame;
  for (double yaw : {0.0, -0.4, 0.4, -0.8, 0.8}) {
    for (double pitch : {0.0, -0.3, 0.3}) {
      if (!turn && (yaw != 0 || pitch != 0)) continue;
      Mat3 f = RotateWorld(RotateWorld(frame, {1, 0, 0}, pitch), {0, 0, 1}, yaw);
      for (int trial = 0; trial < 4; ++trial) {
        for (int j = 0; j < kArmJoints; ++j) {
          double base = trial % 2 ? home_[j] : near[j];
          seed[j] = base + (trial < 2 ? 0.0 : Uniform(rng, -0.8, 0.8));
        }
        double residual = 0;
        ArmVector q = arm_->SolveIk(seed.data(), position, f, lower_, upper_, residual);
        double distance = 0;
        for (int j = 0; j < kArmJoints; ++j) distance += std::abs(q[j] - near[j]);
        double cost = residual + 0.01 * distance + 0.02 * (std::abs(yaw) + std::abs(pitch));
        if (cost < best_cost) {
          best_cost = cost;
          best = q;
          best_frame = f;
        }
      }
    }
  }
  arm_->SetQpos(qpos_.data());
  frame = best_frame;
  if (std::getenv("KITCHEN_SCRIPT_TRACE")) {
    std::fprintf(stderr, "  IK cost %.4f q", best_cost);
    for (double v : best) std::fprintf(stderr, " %.2f", v);
    std::fprintf(stderr, "\n");
  }
  return best;
}

bool KitchenScriptExpert::SegmentDone(const Vec3& position) const {
  const Segment& s = plan_[segment_];
  if (segment_steps_ < s.min_steps) return false;
  if (segment_steps_ >= s.max_steps) return true;
  if (s.task >= 0 && done_[s.task]) return true;
  if (s.joint >= 0 && s.direction != 0 && (qpos_[s.joint] - s.goal) * s.direction >= 0) {
    return true;
  }
  if (s.kind == SegmentKind::kHome || s.kind == SegmentKind::kJoint) {
    double worst = 0;
    for (int j = 0; j < kArmJoints; ++j) {
      worst = std::max(worst, std::abs(qpos_[j] - joint_goal_[j]));
    }
    return worst < kHomeTolerance;
  }
  if (s.kind != SegmentKind::kMove) return false;
  Vec3 e{segment_target_[0] - position[0], segment_target_[1] - position[1],
         segment_target_[2] - position[2]};
  return Norm(e) <= s.tolerance;
}

void KitchenScriptExpert::Target(Vec3& position, Mat3& frame) {
  const Vec3 site = arm_->SitePosition();
  while (segment_ < plan_.size() && SegmentDone(site)) StartSegment(segment_ + 1);
  if (segment_ >= plan_.size()) {
    // the plan is over: hold where the last segment ended
    position = segment_target_;
    frame = segment_frame_;
    return;
  }
  const Segment& s = plan_[segment_];
  position = segment_target_;
  frame = segment_frame_;
  if (s.kind == SegmentKind::kArc) {
    // the grasped point at the door angle one lead ahead, the gripper yawing with the door
    double angle = qpos_[s.joint] + s.lead;
    if ((angle - s.goal) * s.direction > 0) angle = s.goal + 0.5 * s.lead;
    double c = std::cos(angle), sn = std::sin(angle);
    position = {s.pivot[0] + c * arc_local_[0] - sn * arc_local_[1],
                s.pivot[1] + sn * arc_local_[0] + c * arc_local_[1], arc_local_[2]};
    frame = RotateWorld(segment_frame_, {0, 0, 1}, s.yaw_ratio * (angle - arc_angle0_));
  } else if (s.kind == SegmentKind::kTurn) {
    // roll about world +y to the knob angle one lead ahead (knob angles are negative)
    double roll = std::min(-qpos_[s.joint] + s.lead, -s.goal + s.lead);
    frame = RotateWorld(segment_frame_, {0, 1, 0}, roll);
  }
}

}  // namespace imitate::plugins::kitchen_script
