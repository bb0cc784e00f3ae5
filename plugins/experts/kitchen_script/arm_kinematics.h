// A private copy of the kitchen model used by the kitchen_script expert for forward kinematics,
// damped-least-squares IK and gravity feed-forward of the 7-joint arm.
#ifndef IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_ARM_KINEMATICS_H_
#define IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_ARM_KINEMATICS_H_

#include <mujoco/mujoco.h>

#include <array>
#include <string>

#include "imitate/sdk/mujoco/model.h"

namespace imitate::plugins::kitchen_script {

// Number of arm joints (the first 7 qpos and qvel of the kitchen).
inline constexpr int kArmJoints = 7;

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<double, 9>;  // row-major, columns = frame axes in world coordinates
using ArmVector = std::array<double, kArmJoints>;

// Kinematics of the end-effector site of the kitchen arm. Not thread-safe (owns one mjData).
class ArmKinematics {
 public:
  // Takes ownership of `model`; `site` names the end-effector site. Throws ConfigError when the
  // site is missing or the first 7 degrees of freedom are not hinge joints.
  ArmKinematics(mujoco::MjModelPtr model, const std::string& site);

  const mjModel* model() const { return model_.get(); }

  // Sets the full qpos (model->nq values) and computes positions, frames and the Jacobian.
  void SetQpos(const double* qpos);

  // End-effector site position and frame (after SetQpos).
  Vec3 SitePosition() const;
  Mat3 SiteFrame() const;

  // The joint step dq = J^T (J J^T + lambda^2 I)^-1 e for the 6-D world-frame error e
  // (position, rotation), plus null_gain * (rest - q) projected into the Jacobian's null space.
  // Joints whose step would leave [lower, upper] are pinned at the bound and the others re-solve.
  ArmVector SolveDls(const std::array<double, 6>& error, double lambda, const ArmVector& rest,
                     double null_gain, const ArmVector& lower, const ArmVector& upper) const;

  // Iterative IK from `seed` (full qpos; arm entries replaced) for the site at `position` with
  // `frame`; returns the arm joints and sets `residual` (m + rad). Leaves the kinematics at the
  // solution (call SetQpos again afterwards).
  ArmVector SolveIk(const double* seed, const Vec3& position, const Mat3& frame,
                    const ArmVector& lower, const ArmVector& upper, double& residual);

  // Steady-state servo sag of each arm joint under gravity at the current pose (rad): the
  // gravity torque divided by the actuator's kp (0 for joints without a position servo).
  ArmVector GravitySag() const;

  // The arm's control range (ctrlrange of each joint's actuator, else the joint range).
  const ArmVector& lower() const { return lower_; }
  const ArmVector& upper() const { return upper_; }

 private:
  mujoco::MjModelPtr model_;
  mujoco::MjDataPtr data_;
  int site_ = -1;
  ArmVector kp_{};
  ArmVector lower_{};
  ArmVector upper_{};
  std::array<double, 6 * kArmJoints> jacobian_{};  // rows: 3 position, 3 rotation
};

// Euclidean length of a 3-vector.
double Norm(const Vec3& v);

// Rotation error of frame `current` towards `desired` in world coordinates (rad, small-angle:
// 0.5 * sum of column cross products).
Vec3 RotationError(const Mat3& current, const Mat3& desired);

// The rotation by `angle` about the world axis `axis` applied to `frame` (R(axis) * frame).
Mat3 RotateWorld(const Mat3& frame, const Vec3& axis, double angle);

}  // namespace imitate::plugins::kitchen_script

#endif  // IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_ARM_KINEMATICS_H_
