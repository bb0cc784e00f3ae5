// Fidelity of the kitchen model against envs.md PART A: arm kinematics against the Panda's DH
// parameters, the initial state, the task goals and the servo behaviour.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"
#include "plugins/environments/kitchen/kitchen_layout.h"
#include "plugins/environments/kitchen/kitchen_model.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::kitchen {
namespace {

using Strings = std::vector<std::string>;

// a 4x4 homogeneous transform (row-major)
struct Transform {
  double m[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  Transform operator*(const Transform& o) const {
    Transform r;
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        r.m[4 * i + j] = 0;
        for (int k = 0; k < 4; ++k) r.m[4 * i + j] += m[4 * i + k] * o.m[4 * k + j];
      }
    }
    return r;
  }
};
Transform RotX(double a) {
  Transform t;
  t.m[5] = std::cos(a), t.m[6] = -std::sin(a), t.m[9] = std::sin(a), t.m[10] = std::cos(a);
  return t;
}
Transform RotZ(double a) {
  Transform t;
  t.m[0] = std::cos(a), t.m[1] = -std::sin(a), t.m[4] = std::sin(a), t.m[5] = std::cos(a);
  return t;
}
Transform Trans(double x, double y, double z) {
  Transform t;
  t.m[3] = x, t.m[7] = y, t.m[11] = z;
  return t;
}

// the standard Panda (modified DH) with the kitchen's mount and joint offsets (envs.md A2)
std::vector<double> DhEndEffector(const double* q) {
  const double kPi = 3.14159265358979323846;
  const double a[7] = {0, 0, 0, 0.0825, -0.0825, 0, 0.088};
  const double d[7] = {0.333, 0, 0.316, 0, 0.384, 0, 0};
  const double alpha[7] = {0, -kPi / 2, kPi / 2, kPi / 2, -kPi / 2, kPi / 2, kPi / 2};
  const double offset[7] = {0, 0, 0, 0, 0, kPi / 2, kPi / 4};
  Transform t = Trans(0, 0, 1.8) * RotZ(1.57);
  for (int i = 0; i < 7; ++i) {
    t = t * RotX(alpha[i]) * Trans(a[i], 0, 0) * RotZ(q[i] + offset[i]) * Trans(0, 0, d[i]);
  }
  t = t * Trans(0, 0, 0.210);
  return {t.m[3], t.m[7], t.m[11]};
}

struct Sim {
  mujoco::MjModelPtr model = LoadKitchenModel();
  mujoco::MjDataPtr data = mujoco::MakeData(model.get());
  int site = mj_name2id(model.get(), mjOBJ_SITE, kEndEffectorSite);
};

TEST(KitchenFidelity, ArmKinematicsMatchThePandaDh) {
  Sim sim;
  ASSERT_GE(sim.site, 0);
  std::mt19937_64 rng(7);
  double worst = 0;
  for (int n = 0; n < 100; ++n) {
    double q[7];
    for (int i = 0; i < 7; ++i) {
      std::uniform_real_distribution<double> u(sim.model->jnt_range[2 * i],
                                               sim.model->jnt_range[2 * i + 1]);
      q[i] = sim.data->qpos[i] = u(rng);
    }
    mj_kinematics(sim.model.get(), sim.data.get());
    std::vector<double> want = DhEndEffector(q);
    for (int k = 0; k < 3; ++k) {
      worst = std::max(worst, std::abs(sim.data->site_xpos[3 * sim.site + k] - want[k]));
    }
  }
  std::printf("end-effector FK vs DH: max error %.3g m over 100 poses\n", worst);
  EXPECT_LT(worst, 1e-3);
}

TEST(KitchenFidelity, InitialStateMatchesTheSpec) {
  auto env = test_support::MakePlugin<Environment>("kitchen", "environment",
                                                   {{"observation", Strings{"state"}}});
  env->Reset(0);
  SimState s = env->GetState();
  // MuJoCo normalises the (slightly unnormalised) published kettle quaternion
  const double* quat = kInitQpos + kKettleQuatQpos;
  const double norm =
      std::sqrt(quat[0] * quat[0] + quat[1] * quat[1] + quat[2] * quat[2] + quat[3] * quat[3]);
  for (int i = 0; i < kNq; ++i) {
    const double want = i >= kKettleQuatQpos ? kInitQpos[i] / norm : kInitQpos[i];
    EXPECT_NEAR(s[kStateQpos + i], want, 1e-12) << "qpos " << i;
  }
  // the end effector, the joint anchors and the grasp points (world frame, envs.md A2/A3)
  Sim sim;
  std::copy_n(kInitQpos, kNq, sim.data->qpos);
  mj_forward(sim.model.get(), sim.data.get());
  auto site = [&](const char* name) {
    int id = mj_name2id(sim.model.get(), mjOBJ_SITE, name);
    EXPECT_GE(id, 0) << name;
    return std::vector<double>(sim.data->site_xpos + 3 * id, sim.data->site_xpos + 3 * id + 3);
  };
  const std::map<std::string, std::vector<double>> sites = {
      {"end_effector", {-0.432, 0.119, 2.025}},
      {"microwave_handle", {-0.642, 0.493, 1.792}},
      {"slide_handle", {-0.108, 0.607, 2.600}},
      {"hinge_left_handle", {-0.683, 0.580, 2.600}},
      {"hinge_right_handle", {-0.526, 0.583, 2.6}},
      {"light_tip", {-0.369, 0.616, 2.280}},
      {"knob2", {-0.256, 0.640, 2.226}},
      {"knob4", {-0.256, 0.640, 2.340}},
      {"kettle_handle", {-0.273, 0.348, 1.878}}};
  double worst = 0;
  for (const auto& [name, want] : sites) {
    std::vector<double> got = site(name.c_str());
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(got[k], want[k], 2e-3) << name << " axis " << k;
      worst = std::max(worst, std::abs(got[k] - want[k]));
    }
  }
  std::printf("initial grasp points vs spec: max error %.3g m\n", worst);
  const std::map<std::string, std::vector<double>> anchors = {
      {"microwave_door", {-1.128, 0.455, 1.792}}, {"slide_door", {0.075, 0.730, 2.600}},
      {"hinge_left_door", {-0.984, 0.710, 2.6}},  {"hinge_right_door", {-0.224, 0.710, 2.6}},
      {"light_lever", {-0.400, 0.691, 2.280}},    {"knob1", {-0.133, 0.678, 2.226}},
      {"knob3", {-0.133, 0.678, 2.340}},          {"burner2", {-0.225, 0.339, 1.593}}};
  for (const auto& [name, want] : anchors) {
    int id = mj_name2id(sim.model.get(), mjOBJ_JOINT, name.c_str());
    ASSERT_GE(id, 0) << name;
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(sim.data->xanchor[3 * id + k], want[k], 1e-3) << name;
  }
}

// every task: completed at its goal, not at the start
TEST(KitchenFidelity, TaskGoalsAndThreshold) {
  Strings all;
  for (const TaskSpec& task : kTasks) all.emplace_back(task.name);
  auto env = test_support::MakePlugin<Environment>(
      "kitchen", "environment",
      {{"observation", Strings{"state"}}, {"tasks", all}, {"observation_noise", 0.0}});
  for (const TaskSpec& task : kTasks) {
    const std::string metric = std::string("task_") + task.name;
    env->Reset(1);
    EXPECT_EQ(env->Step(torch::zeros({9})).metrics.at(metric), 0.0) << task.name;
    env->Reset(1);
    SimState s = env->GetState();
    for (int j = 0; j < task.size; ++j) s[kStateQpos + task.qpos + j] = task.goal[j];
    env->SetState(s);
    const TimeStep& step = env->Step(torch::zeros({9}));
    EXPECT_EQ(step.metrics.at(metric), 1.0) << task.name;
    EXPECT_EQ(step.reward, 1.0) << task.name;
  }
}

// position servos: a velocity command moves each arm joint its way, at roughly the original's
// realised rate (about half the commanded increment per 0.08 s step, envs.md A5)
TEST(KitchenFidelity, ServosTrackVelocityCommands) {
  auto env = test_support::MakePlugin<Environment>(
      "kitchen", "environment", {{"observation", Strings{"state"}}, {"observation_noise", 0.0}});
  for (int joint = 0; joint < 7; ++joint) {
    for (float sign : {1.0f, -1.0f}) {
      // J2 starts at -1.7685, beyond its -1.7628 limit (as in the original): it cannot go lower
      if (joint == 1 && sign < 0) continue;
      env->Reset(2);
      const double before = env->GetState()[kStateQpos + joint];
      torch::Tensor action = torch::zeros({9});
      action[joint] = 0.5f * sign;  // 1 rad/s
      for (int i = 0; i < 3; ++i) env->Step(action);
      const double moved = sign * (env->GetState()[kStateQpos + joint] - before) / 3;
      if (joint == 0 && sign > 0) std::printf("J1 at 1 rad/s: %.4f rad per step\n", moved);
      EXPECT_GT(moved, 0.02) << "joint " << joint << " sign " << sign;
      EXPECT_LT(moved, 0.09) << "joint " << joint << " sign " << sign;
    }
  }
  // fingers: fully closing takes a few steps
  env->Reset(2);
  torch::Tensor close = torch::zeros({9});
  close[7] = close[8] = -1.0f;
  for (int i = 0; i < 8; ++i) env->Step(close);
  SimState s = env->GetState();
  EXPECT_LT(s[kStateQpos + kFingerQpos], 0.01);
  EXPECT_LT(s[kStateQpos + kFingerQpos + 1], 0.01);
}

// the <exclude> list is a pure speed-up: no excluded body pair has a geom pair that MuJoCo's
// filters (contype/conaffinity, same weld, parent weld) would let touch; and the kettle touches
// the furniture with its base box only
TEST(KitchenFidelity, ContactExclusionsDropNoContact) {
  Sim sim;
  const mjModel* m = sim.model.get();
  ASSERT_GT(m->nexclude, 0);
  auto weld_parent = [m](int weld) { return m->body_weldid[m->body_parentid[weld]]; };
  for (int e = 0; e < m->nexclude; ++e) {
    const int b1 = (m->exclude_signature[e] >> 16) - 1, b2 = (m->exclude_signature[e] & 0xFFFF) - 1;
    const int w1 = m->body_weldid[b1], w2 = m->body_weldid[b2];
    if (w1 == w2) continue;                                                      // welded together
    if (w1 && w2 && (w1 == weld_parent(w2) || w2 == weld_parent(w1))) continue;  // parent
    for (int g1 = m->body_geomadr[b1]; g1 < m->body_geomadr[b1] + m->body_geomnum[b1]; ++g1) {
      for (int g2 = m->body_geomadr[b2]; g2 < m->body_geomadr[b2] + m->body_geomnum[b2]; ++g2) {
        EXPECT_FALSE((m->geom_contype[g1] & m->geom_conaffinity[g2]) ||
                     (m->geom_contype[g2] & m->geom_conaffinity[g1]))
            << mj_id2name(m, mjOBJ_GEOM, g1) << " - " << mj_id2name(m, mjOBJ_GEOM, g2)
            << " can touch but their bodies are excluded";
      }
    }
  }
  const int kettle = mj_name2id(m, mjOBJ_BODY, "kettle");
  const int stove = mj_name2id(m, mjOBJ_GEOM, "stove_front");
  const int finger = mj_name2id(m, mjOBJ_GEOM, "finger_left_pad");
  for (int g = m->body_geomadr[kettle]; g < m->body_geomadr[kettle] + m->body_geomnum[kettle];
       ++g) {
    const bool base = std::string(mj_id2name(m, mjOBJ_GEOM, g)) == "kettle_body";
    EXPECT_EQ((m->geom_contype[g] & m->geom_conaffinity[stove]) != 0, base)
        << mj_id2name(m, mjOBJ_GEOM, g);
    EXPECT_NE(m->geom_contype[finger] & m->geom_conaffinity[g], 0) << mj_id2name(m, mjOBJ_GEOM, g);
  }
}

// a Step ends with the new positions' derived quantities (mj_step1), as mj_forward gives them:
// poses for rendering and experts, and the contacts
TEST(KitchenFidelity, StepLeavesThePositionStageCurrent) {
  auto env = test_support::MakePlugin<Environment>("kitchen", "environment",
                                                   {{"observation", Strings{"state"}}});
  auto& mj = dynamic_cast<MujocoEnvironment&>(*env);
  env->Reset(3);
  torch::Tensor action = torch::full({9}, 0.3f);
  for (int i = 0; i < 3; ++i) env->Step(action);
  mujoco::MjDataPtr copy(mj_copyData(nullptr, mj.Model(), mj.Data()));
  mj_forward(mj.Model(), copy.get());
  const mjData* d = mj.Data();
  for (int i = 0; i < 3 * mj.Model()->ngeom; ++i) EXPECT_EQ(d->geom_xpos[i], copy->geom_xpos[i]);
  for (int i = 0; i < 3 * mj.Model()->nsite; ++i) EXPECT_EQ(d->site_xpos[i], copy->site_xpos[i]);
  EXPECT_EQ(d->ncon, copy->ncon);
}

}  // namespace
}  // namespace imitate::plugins::kitchen
