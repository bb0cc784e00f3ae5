// Tests of the hand models and task rules against envs.md: sizes, joint and ctrl tables, servo
// gains, the Baoding keyframe's world positions (D3), the target ellipse (D6), the action map
// (D4) and the success criterion (D7) on hand-made sequences.
#include "plugins/environments/hand/hand_model.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <cmath>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "plugins/environments/hand/hand_layout.h"
#include "plugins/environments/hand/hand_tasks.h"

namespace imitate::plugins::hand {
namespace {

// Positions are compared within 2 mm: the spec's tables are rounded to 1 mm, and our frames use
// the spec's offsets, so the rest is the original's own rounding (e.g. the 0.785 thumb tilt).
constexpr double kPositionTolerance = 0.002;

struct Loaded {
  mujoco::MjModelPtr model;
  mujoco::MjDataPtr data;
};

Loaded Load(Task task) {
  Loaded l{LoadHandModel(task), nullptr};
  l.data = mujoco::MakeData(l.model.get());
  return l;
}

int JointId(const mjModel* m, const std::string& name) {
  return mujoco::NameToId(m, mjOBJ_JOINT, name, "joint");
}

// world position of a body or site at the current kinematics
std::vector<double> BodyPos(const Loaded& l, const char* name) {
  const int id = mujoco::NameToId(l.model.get(), mjOBJ_BODY, name, "body");
  return {l.data->xpos[3 * id], l.data->xpos[3 * id + 1], l.data->xpos[3 * id + 2]};
}
std::vector<double> SitePos(const Loaded& l, const char* name) {
  const int id = mujoco::NameToId(l.model.get(), mjOBJ_SITE, name, "site");
  return {l.data->site_xpos[3 * id], l.data->site_xpos[3 * id + 1], l.data->site_xpos[3 * id + 2]};
}

void ExpectNear3(const std::vector<double>& got, std::vector<double> want, double tol,
                 const std::string& what) {
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], tol) << what << " axis " << i;
}

// the Baoding model at its keyframe (joint limits not applied: the spec's table is at reset)
Loaded BaodingAtKeyframe() {
  Loaded l = Load(Task::kBaoding);
  mj_resetDataKeyframe(l.model.get(), l.data.get(), 0);
  mj_kinematics(l.model.get(), l.data.get());
  return l;
}

TEST(HandModel, EveryTaskCompilesWithTheSpecSizesAndTiming) {
  for (int t = 0; t < kNumTasks; ++t) {
    Loaded l = Load(static_cast<Task>(t));
    const mjModel* m = l.model.get();
    EXPECT_EQ(m->nq, kTaskNq[t]) << kTaskNames[t];
    EXPECT_EQ(m->nv, kTaskNv[t]) << kTaskNames[t];
    EXPECT_EQ(m->nu, kTaskNu[t]) << kTaskNames[t];
    EXPECT_EQ(m->opt.iterations, 20);
    EXPECT_EQ(m->npair, 19) << "explicit hand-hand pairs";
    if (t == 0) {
      EXPECT_DOUBLE_EQ(m->opt.timestep, 0.0025);
      EXPECT_EQ(m->opt.noslip_iterations, 0);
      EXPECT_EQ(m->ntendon, 0) << "Baoding: independent joints (D3)";
      EXPECT_EQ(m->nkey, 1);
    } else {
      EXPECT_DOUBLE_EQ(m->opt.timestep, 0.002);
      EXPECT_EQ(m->opt.noslip_iterations, 20);
      EXPECT_EQ(m->ntendon, 4) << "Adroit: DIP-PIP coupling (B2)";
    }
  }
  EXPECT_THROW(TaskFromName("pen"), ConfigError);
  EXPECT_NE(HandMjcf(Task::kDoor).find("<mujoco model=\"hand_door\">"), std::string::npos);
}

TEST(HandModel, HandJointRangesAndServosMatchTheTables) {
  for (int t = 0; t < kNumTasks; ++t) {
    Loaded l = Load(static_cast<Task>(t));
    const mjModel* m = l.model.get();
    const int arm = kTaskArmDofs[t];
    const bool baoding = t == 0;
    for (int j = 0; j < kHandDofs; ++j) {
      const int id = JointId(m, kHandJoints[j]);
      const std::string what = std::string(kTaskNames[t]) + " " + kHandJoints[j];
      EXPECT_EQ(m->jnt_qposadr[id], arm + j) << what << ": qpos order";
      EXPECT_TRUE(m->jnt_limited[id]) << what;
      EXPECT_DOUBLE_EQ(m->jnt_range[2 * id], kHandJointLow[j]) << what;
      EXPECT_DOUBLE_EQ(m->jnt_range[2 * id + 1], kHandJointHigh[j]) << what;
      EXPECT_DOUBLE_EQ(m->dof_damping[m->jnt_dofadr[id]], j < 2 ? 0.5 : 0.05) << what;
      EXPECT_DOUBLE_EQ(m->dof_armature[m->jnt_dofadr[id]], j < 2 ? 0.005 : 0.001) << what;
      // the actuator of joint j: affine servo, kp per variant, ctrl range per table
      const int a = arm + j;
      EXPECT_EQ(m->actuator_trnid[2 * a], id) << what;
      const double kp = j < 2 ? (baoding ? 5.0 : 10.0) : 1.0;
      EXPECT_DOUBLE_EQ(m->actuator_gainprm[mjNGAIN * a], kp) << what;
      EXPECT_DOUBLE_EQ(m->actuator_biasprm[mjNBIAS * a + 1], -kp) << what;
      EXPECT_DOUBLE_EQ(m->actuator_biasprm[mjNBIAS * a + 2], 0.0) << what << ": no velocity term";
      const double lo = j < 2 && !baoding ? kAdroitWristCtrlLow[j] : kHandCtrlLow[j];
      const double hi = j < 2 && !baoding ? kAdroitWristCtrlHigh[j] : kHandCtrlHigh[j];
      EXPECT_DOUBLE_EQ(m->actuator_ctrlrange[2 * a], lo) << what;
      EXPECT_DOUBLE_EQ(m->actuator_ctrlrange[2 * a + 1], hi) << what;
    }
  }
}

TEST(HandModel, ArmJointsMatchB3) {
  struct Arm {
    const char* name;
    int type;
    double lo, hi;
  };
  const std::vector<Arm> relocate = {
      {"ARTx", mjJNT_SLIDE, -0.25, 0.25}, {"ARTy", mjJNT_SLIDE, 0, 0.2},
      {"ARTz", mjJNT_SLIDE, -0.3, 0.5},   {"ARRx", mjJNT_HINGE, -0.75, 0.75},
      {"ARRy", mjJNT_HINGE, -0.75, 0.75}, {"ARRz", mjJNT_HINGE, -0.75, 0.75}};
  const std::vector<Arm> door = {{"ARTz", mjJNT_SLIDE, -0.3, 0.5},
                                 {"ARRx", mjJNT_HINGE, -0.75, 0.75},
                                 {"ARRy", mjJNT_HINGE, -0.75, 0.75},
                                 {"ARRz", mjJNT_HINGE, -1.0, 2.0}};
  // world axes of B3 at the zero pose (palm down)
  const double world_axes[6][3] = {{-1, 0, 0}, {0, 0, 1}, {0, 1, 0},
                                   {-1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
  const int door_axes[4] = {2, 3, 4, 5};
  for (Task task : {Task::kRelocate, Task::kDoor}) {
    Loaded l = Load(task);
    const mjModel* m = l.model.get();
    mj_forward(m, l.data.get());
    const std::vector<Arm>& arms = task == Task::kRelocate ? relocate : door;
    for (size_t i = 0; i < arms.size(); ++i) {
      const int id = JointId(m, arms[i].name);
      EXPECT_EQ(m->jnt_qposadr[id], static_cast<int>(i)) << arms[i].name;
      EXPECT_EQ(m->jnt_type[id], arms[i].type) << arms[i].name;
      EXPECT_DOUBLE_EQ(m->jnt_range[2 * id], arms[i].lo) << arms[i].name;
      EXPECT_DOUBLE_EQ(m->jnt_range[2 * id + 1], arms[i].hi) << arms[i].name;
      EXPECT_DOUBLE_EQ(m->dof_damping[m->jnt_dofadr[id]], 20.0) << arms[i].name;
      EXPECT_DOUBLE_EQ(m->actuator_gainprm[mjNGAIN * i], 500.0);
      EXPECT_DOUBLE_EQ(m->actuator_biasprm[mjNBIAS * i + 1], -200.0);
      const double* axis = world_axes[task == Task::kRelocate ? i : door_axes[i]];
      for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(l.data->xaxis[3 * id + k], axis[k], 2e-3) << arms[i].name << " axis " << k;
      }
    }
  }
}

TEST(HandModel, BaodingKeyframeWorldPositionsMatchD3) {
  Loaded l = BaodingAtKeyframe();
  ExpectNear3(BodyPos(l, "palm"), {0.000, -0.110, 0.190}, kPositionTolerance, "palm origin");
  ExpectNear3(BodyPos(l, "ffknuckle"), {0.035, -0.023, 0.154}, kPositionTolerance, "index");
  ExpectNear3(BodyPos(l, "mfknuckle"), {0.013, -0.019, 0.152}, kPositionTolerance, "middle");
  ExpectNear3(BodyPos(l, "rfknuckle"), {-0.010, -0.022, 0.154}, kPositionTolerance, "ring");
  ExpectNear3(BodyPos(l, "lfknuckle"), {-0.033, -0.029, 0.155}, kPositionTolerance, "little");
  ExpectNear3(BodyPos(l, "thbase"), {0.035, -0.080, 0.187}, kPositionTolerance, "thumb base");
  ExpectNear3(SitePos(l, "S_fftip"), {0.058, 0.049, 0.178}, kPositionTolerance, "index tip");
  ExpectNear3(SitePos(l, "S_mftip"), {0.032, 0.059, 0.160}, kPositionTolerance, "middle tip");
  ExpectNear3(SitePos(l, "S_rftip"), {-0.005, 0.050, 0.184}, kPositionTolerance, "ring tip");
  ExpectNear3(SitePos(l, "S_lftip"), {-0.053, 0.040, 0.179}, kPositionTolerance, "little tip");
  ExpectNear3(SitePos(l, "S_thtip"), {0.080, 0.001, 0.195}, kPositionTolerance, "thumb tip");
  ExpectNear3(BodyPos(l, kBall1Body), {-0.029, -0.001, 0.190}, 1e-9, "ball 1");
  ExpectNear3(BodyPos(l, kBall2Body), {0.030, 0.010, 0.190}, 1e-9, "ball 2");
  // neither ball touches anything at reset (D5)
  mj_forward(l.model.get(), l.data.get());
  EXPECT_EQ(l.data->ncon, 0);
}

TEST(HandModel, AdroitZeroPoseMatchesB3) {
  Loaded l = Load(Task::kRelocate);
  mj_kinematics(l.model.get(), l.data.get());
  ExpectNear3(SitePos(l, kPalmSite), {-0.007, -0.200, 0.150}, kPositionTolerance, "S_grasp");
  EXPECT_NEAR(BodyPos(l, "mfknuckle")[1], -0.175, 0.005);
  EXPECT_NEAR(SitePos(l, "S_mftip")[1], -0.08, 0.006);
  EXPECT_NEAR(SitePos(l, "S_mftip")[2], 0.20, 0.005);
}

// B5: pulled with 30 N, the door stays shut with the latch at 1.0 rad and swings open at 1.2
TEST(HandModel, DoorOpensOnlyWithTheLatchTurned) {
  for (double latch : {0.0, 1.0, 1.2}) {
    Loaded l = Load(Task::kDoor);
    const mjModel* m = l.model.get();
    mjData* d = l.data.get();
    const int door = mujoco::NameToId(m, mjOBJ_BODY, "door", "body");
    for (int i = 0; i < 1000; ++i) {  // 2 s, the latch held by hand
      d->qpos[kDoorLatchQpos] = latch;
      d->qvel[kDoorLatchQpos] = 0.0;
      d->xfrc_applied[6 * door + 1] = -30.0;
      mj_step(m, d);
    }
    if (latch < 1.2) {
      EXPECT_LT(d->qpos[kDoorHingeQpos], 0.1) << "latch " << latch;
    } else {
      EXPECT_GT(d->qpos[kDoorHingeQpos], 1.5) << "latch " << latch;
    }
  }
}

TEST(HandModel, BaodingTargetsFollowTheEllipseOnThePalm) {
  Loaded l = BaodingAtKeyframe();
  const TaskIds ids = FindTaskIds(l.model.get(), Task::kBaoding);
  double t[4];
  // D6's table at the keyframe wrist pose (rounded to 1 mm)
  BaodingTargets(l.model.get(), l.data.get(), ids, 0, t);
  EXPECT_NEAR(t[0], -0.007, 0.0015);
  EXPECT_NEAR(t[1], -0.009, 0.0015);
  EXPECT_NEAR(t[2], 0.020, 0.0015);
  EXPECT_NEAR(t[3], -0.056, 0.0015);
  BaodingTargets(l.model.get(), l.data.get(), ids, 15, t);
  EXPECT_NEAR(t[0], -0.008, 0.0015);
  EXPECT_NEAR(t[1], -0.056, 0.0015);
  EXPECT_NEAR(t[2], 0.021, 0.0015);
  EXPECT_NEAR(t[3], -0.009, 0.0015);
  // k = 30 swaps the targets of k = 0; the two are always diametrically opposite
  double t0[4], t30[4];
  BaodingTargets(l.model.get(), l.data.get(), ids, 0, t0);
  BaodingTargets(l.model.get(), l.data.get(), ids, 30, t30);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(t30[i], t0[2 + i], 1e-12);
    EXPECT_NEAR(t30[2 + i], t0[i], 1e-12);
  }
  // the targets ride on the palm: pitching the wrist moves them
  l.data->qpos[1] = -0.7;
  mj_kinematics(l.model.get(), l.data.get());
  BaodingTargets(l.model.get(), l.data.get(), ids, 0, t);
  EXPECT_GT(std::abs(t[1] - t0[1]), 0.005);
}

TEST(HandModel, BaodingActionMapFollowsD4) {
  Loaded l = Load(Task::kBaoding);
  const mjModel* m = l.model.get();
  // a = 0 commands the keyframe; a = +-1 the table's endpoints
  for (int j = 0; j < kHandDofs; ++j) {
    EXPECT_DOUBLE_EQ(BaodingTarget(m, j, 0.0), kBaodingKeyframe[j]) << kHandJoints[j];
    EXPECT_DOUBLE_EQ(BaodingTarget(m, j, 5.0), BaodingTarget(m, j, 1.0)) << "clipped";
  }
  struct Row {
    int j;
    double low, high;
  };
  for (const Row& r :
       {Row{0, -0.467, 0.154}, Row{1, -0.751, 0.509}, Row{2, -0.358, 0.434}, Row{4, 0.117, 1.557},
        Row{14, -0.002, 0.628}, Row{19, -0.902, 0.898}, Row{23, -1.468, -0.054}}) {
    EXPECT_NEAR(BaodingTarget(m, r.j, -1.0), r.low, 1e-3) << kHandJoints[r.j];
    EXPECT_NEAR(BaodingTarget(m, r.j, 1.0), r.high, 1e-3) << kHandJoints[r.j];
  }
  // the rate limit: at most 0.3 rad from the joint position, then the ctrl range
  std::vector<float> a(kHandDofs, 1.0f);
  std::vector<double> q(kBaodingKeyframe, kBaodingKeyframe + kHandDofs), ctrl(kHandDofs);
  BaodingControls(m, a.data(), q.data(), ctrl.data());
  for (int j = 0; j < kHandDofs; ++j) {
    const double want = std::min(BaodingTarget(m, j, 1.0), q[j] + kBaodingRateLimit);
    EXPECT_NEAR(ctrl[j], std::clamp(want, kHandCtrlLow[j], kHandCtrlHigh[j]), 1e-12)
        << kHandJoints[j];
  }
  EXPECT_NEAR(ctrl[0], 0.154, 1e-3) << "WRJ1 within reach";
  EXPECT_NEAR(ctrl[4], 1.167 + 0.3, 1e-9) << "FFJ1 rate-limited";
  // MFJ2's a <= 0 half is a dead zone (mid below the ctrl range)
  std::fill(a.begin(), a.end(), -0.5f);
  BaodingControls(m, a.data(), q.data(), ctrl.data());
  EXPECT_EQ(ctrl[7], 0.0);
}

// a hand-made sequence of 75 steps: both balls at `near` except `far_steps` within 11..75
std::vector<double> RunSequence(int far_steps, bool drop_at_40, bool far_early = false) {
  double book[kStateBook] = {};
  for (int step = 1; step <= 75; ++step) {
    StepScore s;
    const bool far = (step >= 11 && step < 11 + far_steps) || (far_early && step <= 10);
    s.distance[0] = far ? 0.03 : 0.012;
    s.distance[1] = far ? 0.01 : 0.008;
    s.dropped = drop_at_40 && step == 40;
    BaodingRecord(s, step, book);
  }
  std::vector<double> metrics(kStateBook);
  BaodingMetrics(book, 75, metrics.data());
  return metrics;
}

TEST(HandModel, BaodingSuccessNeedsNoDropAndNinetyPercentOnTarget) {
  // 6 of 65 scored steps off target: 90.8% on target -> success
  std::vector<double> ok = RunSequence(6, false);
  EXPECT_EQ(ok[0], 1.0);
  EXPECT_NEAR(ok[3], 59.0 / 65.0, 1e-12);
  EXPECT_NEAR(ok[4], 59.0 / 65.0, 1e-12) << "1.2 cm and 0.8 cm are within 1.5 cm";
  EXPECT_NEAR(ok[1], (69 * 0.010 + 6 * 0.020) / 75, 1e-12) << "mean per-ball distance";
  EXPECT_EQ(ok[2], 0.0);
  // 7 off: 89.2% -> failure
  EXPECT_EQ(RunSequence(7, false)[0], 0.0);
  // the first 10 steps are a settling allowance
  EXPECT_EQ(RunSequence(0, false, true)[0], 1.0);
  // a drop fails the episode whatever the tracking
  std::vector<double> dropped = RunSequence(0, true);
  EXPECT_EQ(dropped[0], 0.0);
  EXPECT_EQ(dropped[2], 1.0);
}

}  // namespace
}  // namespace imitate::plugins::hand
