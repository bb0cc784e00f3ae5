#include "plugins/experts/hand_script/relocate_arm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "imitate/sdk/errors.h"
#include "plugins/environments/hand/hand_layout.h"

namespace imitate::plugins::hand_script {
namespace {

constexpr const char* kArmJointNames[kArmJoints] = {"ARTx", "ARTy", "ARTz", "ARRx", "ARRy", "ARRz"};
constexpr double kPitchMargin = 0.05;  // rad kept from the pitch limits by PitchFor
constexpr int kBisections = 30;
// how far Controls raises a joint's natural frequency against its passive damping
constexpr double kMaxStiffening = 2.0;

}  // namespace

RelocateArm::RelocateArm(const mjModel* m) : m_(m), scratch_(mujoco::MakeData(m)) {
  // joints and the actuator driving each
  for (int j = 0; j < kArmJoints; ++j) {
    joint_[j] = mujoco::NameToId(m, mjOBJ_JOINT, kArmJointNames[j], "hand_script arm joint");
    actuator_[j] = -1;
    for (int a = 0; a < m->nu; ++a) {
      if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == joint_[j]) {
        actuator_[j] = a;
      }
    }
    if (actuator_[j] < 0) {
      throw ConfigError(std::string("hand_script: no actuator drives arm joint ") +
                        kArmJointNames[j]);
    }
  }
  site_ = mujoco::NameToId(m, mjOBJ_SITE, hand::kPalmSite, "hand_script palm site");
  // the slides' world axes: they precede the hinges, so they do not depend on the pose
  mj_resetData(m, scratch_.get());
  mj_kinematics(m, scratch_.get());
  for (int j = 0; j < 3; ++j) {
    if (m->jnt_type[joint_[j]] != mjJNT_SLIDE) {
      throw ConfigError(std::string("hand_script: arm joint ") + kArmJointNames[j] +
                        " is not a slide");
    }
    for (int k = 0; k < 3; ++k) slide_axis_[j][k] = scratch_->xaxis[3 * joint_[j] + k];
  }
}

ArmVector RelocateArm::Positions(const mjData* d) const {
  ArmVector q{};
  for (int j = 0; j < kArmJoints; ++j) q[j] = d->qpos[m_->jnt_qposadr[joint_[j]]];
  return q;
}

ArmVector RelocateArm::Velocities(const mjData* d) const {
  ArmVector v{};
  for (int j = 0; j < kArmJoints; ++j) v[j] = d->qvel[m_->jnt_dofadr[joint_[j]]];
  return v;
}

Vec3 RelocateArm::SiteAtZeroSlides(const double* qpos, double pitch) {
  mjData* d = scratch_.get();
  std::copy_n(qpos, m_->nq, d->qpos);
  for (int j = 0; j < kArmJoints; ++j) d->qpos[m_->jnt_qposadr[joint_[j]]] = 0.0;
  d->qpos[m_->jnt_qposadr[joint_[kPitch]]] = pitch;
  mj_kinematics(m_, d);
  return {d->site_xpos[3 * site_], d->site_xpos[3 * site_ + 1], d->site_xpos[3 * site_ + 2]};
}

ArmVector RelocateArm::Solve(const double* qpos, const Vec3& site, double pitch) {
  // the site moves rigidly with the slides: project the remaining offset on their axes
  const Vec3 p0 = SiteAtZeroSlides(qpos, pitch);
  ArmVector q{};
  for (int j = 0; j < 3; ++j) {
    for (int k = 0; k < 3; ++k) q[j] += slide_axis_[j][k] * (site[k] - p0[k]);
  }
  q[kPitch] = pitch;
  return q;
}

double RelocateArm::PitchFor(const double* qpos, const Vec3& site, double preferred, double low,
                             double high) {
  // the vertical slide needed at a pitch (it grows as the hand pitches down)
  auto lift = [&](double pitch) { return Solve(qpos, site, pitch)[kSlideUp]; };
  const double at_preferred = lift(preferred);
  if (at_preferred >= low && at_preferred <= high) return preferred;
  const double goal = at_preferred < low ? low : high;
  // bisection on the monotone slide(pitch) between the pitch limits
  double lo = Low(kPitch) + kPitchMargin, hi = High(kPitch) - kPitchMargin;
  if (lift(lo) >= goal) return lo;
  if (lift(hi) <= goal) return hi;
  for (int i = 0; i < kBisections; ++i) {
    const double mid = 0.5 * (lo + hi);
    (lift(mid) < goal ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

void RelocateArm::Controls(const mjData* d, const ArmVector& q_ref, const ArmVector& v_ref,
                           const ArmVector& a_ref, double omega, double zeta, double* ctrl) const {
  const ArmVector q = Positions(d), v = Velocities(d);
  for (int j = 0; j < kArmJoints; ++j) {
    const int dof = m_->jnt_dofadr[joint_[j]];
    const int a = actuator_[j];
    // PD on the joint's own inertia, stiff enough that the passive damping does not overdamp
    // it; the passive damping at the reference velocity, inertia x reference acceleration,
    // gravity and Coriolis forces fed forward
    const double inertia = d->qM[m_->dof_Madr[dof]];
    const double passive = m_->dof_damping[dof];
    const double w = std::clamp(passive / (2.0 * zeta * inertia), omega, kMaxStiffening * omega);
    const double kp = inertia * w * w;
    const double kd = std::max(0.0, 2.0 * zeta * w * inertia - passive);
    const double force = kp * (q_ref[j] - q[j]) + kd * (v_ref[j] - v[j]) + passive * v_ref[j] +
                         inertia * a_ref[j] + d->qfrc_bias[dof];
    // force = gain ctrl + b0 + b1 q (+ b2 v) inverted for ctrl
    const double gain = m_->actuator_gainprm[a * mjNGAIN];
    const double* bias = m_->actuator_biasprm + a * mjNBIAS;
    const double c = (force - bias[0] - bias[1] * q[j] - bias[2] * v[j]) / gain;
    ctrl[a] = std::clamp(c, m_->actuator_ctrlrange[2 * a], m_->actuator_ctrlrange[2 * a + 1]);
  }
}

}  // namespace imitate::plugins::hand_script
