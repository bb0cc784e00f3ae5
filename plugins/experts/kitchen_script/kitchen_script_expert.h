// The kitchen_script expert: a privileged-state waypoint controller with damped-least-squares
// IK that completes the Franka Kitchen look-alike's tasks (plugins/environments/kitchen).
#ifndef IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_KITCHEN_SCRIPT_EXPERT_H_
#define IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_KITCHEN_SCRIPT_EXPERT_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/expert.h"
#include "imitate/sdk/params.h"
#include "plugins/experts/kitchen_script/arm_kinematics.h"
#include "plugins/experts/kitchen_script/waypoint_plan.h"

namespace imitate::plugins::kitchen_script {

// Each step the expert reads the true qpos from env.GetState(), computes the end-effector
// site's pose and Jacobian on its own copy of the kitchen model, takes a speed-limited
// Cartesian step towards the current waypoint (plans in waypoint_plan.h), solves it with
// damped least squares plus a null-space pull to the initial posture, and turns the joint step
// into an absolute servo target q* = q + dq / f + sag (f: the fraction of a step the damped
// servo covers in one control period, sag: the gravity droop). It emits the environment's
// velocity action a = (q* - q_observed) / (2 * 0.08), which cancels the observation noise and
// the gravity drift. Offsets, speeds, goals and pauses are drawn from Reset's seed.
class KitchenScriptExpert final : public Expert {
 public:
  // The declared parameters.
  static ParamSpecs Specs();
  // Makes the expert from validated parameters.
  static std::unique_ptr<Expert> Create(const Params& params);

  explicit KitchenScriptExpert(const Params& params);

  std::vector<std::string> SupportedEnvironments() const override { return {"kitchen"}; }
  void Reset(Environment& env, const TimeStep& first, uint64_t seed) override;
  torch::Tensor Act(Environment& env, const TimeStep& current) override;

  // The current segment's label ("done" after the plan), for tests and logs.
  std::string CurrentLabel() const;

 private:
  // Reads the true qpos and the observed arm qpos of the environment (throws UsageError on a
  // foreign env).
  void ReadState(Environment& env);
  // The site target and desired frame for the current segment; advances finished segments.
  void Target(Vec3& position, Mat3& frame);
  // Whether the current segment is finished at the current state.
  bool SegmentDone(const Vec3& position) const;
  // Starts segment `index` at the current state.
  void StartSegment(size_t index);
  // The best IK solution for `position` and `frame` (which may turn a little about world z and x;
  // `frame` is updated) over a few seeds near `near` and the initial posture.
  ArmVector PlanJoints(const Vec3& position, Mat3& frame, const ArmVector& near);
  // The desired frame of a grasp family.
  Mat3 GraspFrame(Grasp grasp) const;

  // parameters
  std::vector<std::string> tasks_;
  double speed_;
  bool randomize_;
  double offset_noise_;
  double pause_probability_;
  double damping_;
  double gain_;
  double orientation_gain_;
  double null_gain_;

  // the private model and the per-joint servo coverage of one control step
  std::unique_ptr<ArmKinematics> arm_;
  ArmVector coverage_{};
  ArmVector lower_{};  // joint limits the IK keeps to
  ArmVector upper_{};

  // this episode
  std::mt19937_64 rng_;
  double episode_speed_ = 1.0;
  std::vector<Segment> plan_;
  size_t segment_ = 0;
  int segment_steps_ = 0;
  Vec3 segment_start_{};        // site position when the segment started
  Vec3 segment_target_{};       // resolved kMove target
  Mat3 segment_frame_{};        // desired frame at the segment's start
  Vec3 arc_local_{};            // kArc: the site relative to the hinge, in the door's frame
  double arc_angle0_ = 0;       // kArc: door angle at the start
  Mat3 initial_frame_{};        // site frame at Reset
  Mat3 last_frame_{};           // the frame commanded at the last step
  ArmVector rest_{};            // null-space rest posture
  ArmVector home_{};            // initial arm posture
  ArmVector joint_goal_{};      // kHome / kJoint: the arm posture moved to
  std::vector<double> qpos_;    // true qpos
  ArmVector observed_{};        // observed (noisy) arm qpos
  std::array<bool, 7> done_{};  // the env's completed tasks (kTasks order)
};

}  // namespace imitate::plugins::kitchen_script

#endif  // IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_KITCHEN_SCRIPT_EXPERT_H_
