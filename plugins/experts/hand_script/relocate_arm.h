// Kinematics and servo control of the relocate arm (envs.md B3/B4): three slides and three hinges
// at the forearm origin, each driven by an affine servo (force = gain ctrl + b1 q).
#ifndef IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_RELOCATE_ARM_H_
#define IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_RELOCATE_ARM_H_

#include <mujoco/mujoco.h>

#include <array>

#include "imitate/sdk/mujoco/model.h"

namespace imitate::plugins::hand_script {

inline constexpr int kArmJoints = 6;  // ARTx, ARTy, ARTz, ARRx, ARRy, ARRz
using ArmVector = std::array<double, kArmJoints>;
using Vec3 = std::array<double, 3>;

// Index of each arm joint in ArmVector.
enum ArmJoint { kSlideX = 0, kSlideUp = 1, kSlideForward = 2, kPitch = 3, kYaw = 4, kRoll = 5 };

// The arm of the relocate scene: inverse kinematics of the palm site for a chosen pitch, on a
// private mjData of the environment's model, and a PD servo law expressed as actuator ctrl.
class RelocateArm {
 public:
  // Finds the arm joints, their actuators and the palm site in `m` (ConfigError when missing).
  // `m` must outlive this object.
  explicit RelocateArm(const mjModel* m);

  // The model this arm was made for.
  const mjModel* model() const { return m_; }

  // The arm joint positions (qpos) and velocities (qvel) of `d`.
  ArmVector Positions(const mjData* d) const;
  ArmVector Velocities(const mjData* d) const;

  // Arm joints that put the palm site at `site` with pitch `pitch` (yaw and roll 0), the hand
  // joints taken from `qpos` (the wrist matters). Slides are not clipped to their range.
  ArmVector Solve(const double* qpos, const Vec3& site, double pitch);

  // The pitch for a palm site at `site` that keeps the vertical slide within [low, high]:
  // `preferred` when it does, else the pitch that puts the slide at the nearer bound (clamped
  // to the pitch range less a margin).
  double PitchFor(const double* qpos, const Vec3& site, double preferred, double low, double high);

  // Writes the ctrl of the arm actuators into `ctrl` (size nu): a PD law around the reference
  // (positions `q_ref`, velocities `v_ref`, accelerations `a_ref`) with natural frequency
  // `omega` (rad/s, raised up to 2 omega where the joint's passive damping would overdamp it) and
  // damping ratio `zeta` on each joint's own inertia, plus the feed-forward forces (passive
  // damping, inertia, gravity and Coriolis of `d`), turned into ctrl through each servo's gain
  // and bias and clipped to its ctrl range.
  void Controls(const mjData* d, const ArmVector& q_ref, const ArmVector& v_ref,
                const ArmVector& a_ref, double omega, double zeta, double* ctrl) const;

  // The lower and upper limits of arm joint j.
  double Low(int j) const { return m_->jnt_range[2 * joint_[j]]; }
  double High(int j) const { return m_->jnt_range[2 * joint_[j] + 1]; }

 private:
  // The palm site's world position with the slides at 0 and the given hinges.
  Vec3 SiteAtZeroSlides(const double* qpos, double pitch);

  const mjModel* m_;
  mujoco::MjDataPtr scratch_;  // private kinematics
  std::array<int, kArmJoints> joint_{};
  std::array<int, kArmJoints> actuator_{};
  int site_ = -1;
  std::array<Vec3, 3> slide_axis_{};  // world axes of the slides (fixed: they come first)
};

}  // namespace imitate::plugins::hand_script

#endif  // IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_RELOCATE_ARM_H_
