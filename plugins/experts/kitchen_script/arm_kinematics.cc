#include "plugins/experts/kitchen_script/arm_kinematics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::plugins::kitchen_script {

ArmKinematics::ArmKinematics(mujoco::MjModelPtr model, const std::string& site)
    : model_(std::move(model)) {
  const mjModel* m = model_.get();
  site_ = mujoco::NameToId(m, mjOBJ_SITE, site, "kitchen_script end-effector site");
  // the arm: the first 7 joints are hinges with dofs 0..6
  for (int j = 0; j < kArmJoints; ++j) {
    if (j >= m->njnt || m->jnt_type[j] != mjJNT_HINGE || m->jnt_dofadr[j] != j ||
        m->jnt_qposadr[j] != j) {
      throw ConfigError("kitchen_script: joint " + std::to_string(j) +
                        " of the kitchen model is not an arm hinge");
    }
    lower_[j] = m->jnt_range[2 * j];
    upper_[j] = m->jnt_range[2 * j + 1];
  }
  // servo gains and control ranges of the actuators driving the arm joints
  for (int a = 0; a < m->nu; ++a) {
    if (m->actuator_trntype[a] != mjTRN_JOINT) continue;
    int j = m->actuator_trnid[2 * a];
    if (j < 0 || j >= kArmJoints) continue;
    kp_[j] = m->actuator_gainprm[a * mjNGAIN] / std::max(1e-9, m->actuator_gear[a * 6]);
    if (m->actuator_ctrllimited[a]) {
      lower_[j] = std::max(lower_[j], m->actuator_ctrlrange[2 * a]);
      upper_[j] = std::min(upper_[j], m->actuator_ctrlrange[2 * a + 1]);
    }
  }
  data_ = mujoco::MakeData(m);
}

void ArmKinematics::SetQpos(const double* qpos) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  mju_copy(d->qpos, qpos, m->nq);
  mju_zero(d->qvel, m->nv);
  mj_kinematics(m, d);
  mj_comPos(m, d);
  mj_comVel(m, d);
  // the site Jacobian's arm columns
  std::vector<mjtNum> jacp(3 * m->nv), jacr(3 * m->nv);
  mj_jacSite(m, d, jacp.data(), jacr.data(), site_);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < kArmJoints; ++c) {
      jacobian_[r * kArmJoints + c] = jacp[r * m->nv + c];
      jacobian_[(r + 3) * kArmJoints + c] = jacr[r * m->nv + c];
    }
  }
}

Vec3 ArmKinematics::SitePosition() const {
  const double* p = data_->site_xpos + 3 * site_;
  return {p[0], p[1], p[2]};
}

Mat3 ArmKinematics::SiteFrame() const {
  Mat3 frame;
  std::copy(data_->site_xmat + 9 * site_, data_->site_xmat + 9 * site_ + 9, frame.begin());
  return frame;
}

ArmVector ArmKinematics::SolveDls(const std::array<double, 6>& error, double lambda,
                                  const ArmVector& rest, double null_gain, const ArmVector& lower,
                                  const ArmVector& upper) const {
  const double* q = data_->qpos;
  ArmVector dq{};
  std::array<bool, kArmJoints> locked{};
  // clamping loop: joints whose step would leave [lower, upper] are pinned at the bound and the
  // remaining joints solve for what is left of the error
  for (int pass = 0; pass < kArmJoints; ++pass) {
    double jac[6 * kArmJoints];
    std::array<double, 6> e = error;
    for (int r = 0; r < 6; ++r) {
      for (int k = 0; k < kArmJoints; ++k) {
        double v = jacobian_[r * kArmJoints + k];
        if (locked[k]) {
          e[r] -= v * dq[k];
          v = 0;
        }
        jac[r * kArmJoints + k] = v;
      }
    }
    // a = J J^T + lambda^2 I, factored once
    double a[36];
    for (int r = 0; r < 6; ++r) {
      for (int c = 0; c < 6; ++c) {
        double s = 0;
        for (int k = 0; k < kArmJoints; ++k) s += jac[r * kArmJoints + k] * jac[c * kArmJoints + k];
        a[r * 6 + c] = s + (r == c ? lambda * lambda : 0.0);
      }
    }
    mju_cholFactor(a, 6, 1e-10);
    auto apply_pinv = [&](const double* err, double* out) {
      double y[6];
      mju_cholSolve(y, a, err, 6);
      for (int k = 0; k < kArmJoints; ++k) {
        out[k] = 0;
        for (int r = 0; r < 6; ++r) out[k] += jac[r * kArmJoints + k] * y[r];
      }
    };
    // task step, plus the null-space pull towards the rest posture: v - J^+ J v
    double step[kArmJoints], v[kArmJoints], jv[6], back[kArmJoints];
    apply_pinv(e.data(), step);
    for (int k = 0; k < kArmJoints; ++k) v[k] = locked[k] ? 0 : null_gain * (rest[k] - q[k]);
    for (int r = 0; r < 6; ++r) {
      jv[r] = 0;
      for (int k = 0; k < kArmJoints; ++k) jv[r] += jac[r * kArmJoints + k] * v[k];
    }
    apply_pinv(jv, back);
    bool changed = false;
    for (int k = 0; k < kArmJoints; ++k) {
      if (locked[k]) continue;
      dq[k] = step[k] + v[k] - back[k];
      if (q[k] + dq[k] < lower[k] || q[k] + dq[k] > upper[k]) {
        dq[k] = std::clamp(q[k] + dq[k], lower[k], upper[k]) - q[k];
        locked[k] = changed = true;
      }
    }
    if (!changed) break;
  }
  return dq;
}

ArmVector ArmKinematics::SolveIk(const double* seed, const Vec3& position, const Mat3& frame,
                                 const ArmVector& lower, const ArmVector& upper, double& residual) {
  std::vector<double> qpos(seed, seed + model_->nq);
  ArmVector q{};
  for (int j = 0; j < kArmJoints; ++j) q[j] = std::clamp(qpos[j], lower[j], upper[j]);
  for (int it = 0; it < 150; ++it) {
    std::copy(q.begin(), q.end(), qpos.begin());
    SetQpos(qpos.data());
    Vec3 p = SitePosition(), r = RotationError(SiteFrame(), frame);
    std::array<double, 6> e{};
    double norm = 0;
    for (int k = 0; k < 3; ++k) {
      e[k] = position[k] - p[k];
      e[3 + k] = r[k];
      norm += std::abs(e[k]) + std::abs(e[3 + k]);
    }
    residual = norm;
    if (norm < 1e-4) break;
    double scale = std::min(1.0, 0.1 / norm);
    for (double& v : e) v *= scale;
    ArmVector dq = SolveDls(e, 0.05, q, 0.0, lower, upper);
    for (int j = 0; j < kArmJoints; ++j) q[j] += dq[j];
  }
  return q;
}

ArmVector ArmKinematics::GravitySag() const {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  // gravity torques with zero velocity (kinematics are current after SetQpos)
  std::vector<mjtNum> bias(m->nv);
  mj_rne(m, d, 0, bias.data());
  ArmVector sag{};
  for (int j = 0; j < kArmJoints; ++j) sag[j] = kp_[j] > 0 ? bias[j] / kp_[j] : 0.0;
  return sag;
}

double Norm(const Vec3& v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

Vec3 RotationError(const Mat3& current, const Mat3& desired) {
  Vec3 e{0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    double c[3] = {current[i], current[3 + i], current[6 + i]};
    double d[3] = {desired[i], desired[3 + i], desired[6 + i]};
    double x[3];
    mju_cross(x, c, d);
    for (int k = 0; k < 3; ++k) e[k] += 0.5 * x[k];
  }
  return e;
}

Mat3 RotateWorld(const Mat3& frame, const Vec3& axis, double angle) {
  double quat[4], rot[9], out[9];
  mju_axisAngle2Quat(quat, axis.data(), angle);
  mju_quat2Mat(rot, quat);
  mju_mulMatMat(out, rot, frame.data(), 3, 3, 3);
  Mat3 result;
  std::copy(out, out + 9, result.begin());
  return result;
}

}  // namespace imitate::plugins::kitchen_script
