// Constants of the kitchen environment shared with its users (the kitchen_script expert, tests):
// qpos/qvel indices, the initial state, the action mapping, the `state` observation layout and
// the task goals. All numbers follow envs.md PART A (the RPL / D4RL Franka Kitchen).
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_LAYOUT_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_LAYOUT_H_

namespace imitate::plugins::kitchen {

// sizes of the model (nq = 30, nv = 29: the kettle's free joint has 7 qpos and 6 qvel)
inline constexpr int kNq = 30;
inline constexpr int kNv = 29;
inline constexpr int kNu = 9;
inline constexpr int kRobotDofs = 9;  // 7 arm hinges + 2 finger slides (qpos = qvel index)
inline constexpr int kObjectNq = 21;  // qpos 9..29
inline constexpr int kObjectNv = 20;  // qvel 9..28

// qpos indices (envs.md A4); qvel indices are equal up to the kettle
inline constexpr int kArmQpos = 0;          // J1..J7 at 0..6
inline constexpr int kFingerQpos = 7;       // left finger 7, right finger 8 (m, 0..0.04)
inline constexpr int kKnob1Qpos = 9;        // knob 1 (rad), burner 1 at 10
inline constexpr int kKnob2Qpos = 11;       // knob 2 = "bottom burner" knob, burner 2 at 12
inline constexpr int kKnob3Qpos = 13;       // knob 3, burner 3 at 14
inline constexpr int kKnob4Qpos = 15;       // knob 4 = "top burner" knob, burner 4 at 16
inline constexpr int kLightLeverQpos = 17;  // light switch lever (rad), light block at 18
inline constexpr int kLightBlockQpos = 18;
inline constexpr int kSlideCabinetQpos = 19;  // slide door (m, 0..0.44)
inline constexpr int kHingeLeftQpos = 20;     // hinge cabinet left door (rad, -1.57..0)
inline constexpr int kHingeRightQpos = 21;    // hinge cabinet right door (rad, 0..1.57)
inline constexpr int kMicrowaveQpos = 22;     // microwave door (rad, -2.094..0)
inline constexpr int kKettlePosQpos = 23;     // kettle x, y, z (bottom centre, world)
inline constexpr int kKettleQuatQpos = 26;    // kettle quaternion w, x, y, z
inline constexpr int kKettleQvel = 23;        // kettle linear (23..25) + angular (26..28) velocity

// the fixed initial qpos of every kitchen episode (envs.md A2; kettle quaternion as published)
inline constexpr double kInitQpos[kNq] = {
    0.1484,  -1.7685,  1.8439,   -2.4769,  0.2603,   0.7125,   1.5952,   0.0479,
    0.0371,  -2.66e-4, -5.18e-5, 3.13e-5,  -4.51e-5, -3.91e-6, -4.23e-5, 6.28e-5,
    4.05e-5, 4.63e-4,  -2.27e-4, -4.66e-4, -6.44e-3, -1.77e-3, 1.08e-3,  -0.26940,
    0.35038, 1.61945,  1.00619,  4.06e-3,  -6.62e-3, -2.68e-4};

// timing (envs.md A1)
inline constexpr double kTimestep = 0.002;                    // physics step (s)
inline constexpr int kFrameSkip = 40;                         // physics steps per control step
inline constexpr double kControlDt = kTimestep * kFrameSkip;  // 0.08 s
inline constexpr int kEpisodeLength = 280;                    // control steps

// action mapping (envs.md A5): velocity = kActionScale * clip(action, -1, 1);
// servo target = clamp(q_observed + clamp(velocity, +-kVelocityBound) * kControlDt,
//                      kPosLow, kPosHigh), held for kFrameSkip physics steps
inline constexpr int kActionSize = 9;
inline constexpr double kActionScale = 2.0;
inline constexpr double kVelocityBound = 10.0;
inline constexpr double kPosLow[kActionSize] = {-2.9, -1.8, -2.9, -3.1, -2.9, 0.0, -2.9, 0.0, 0.0};
inline constexpr double kPosHigh[kActionSize] = {2.9, 1.8, 2.9, 0.0, 2.9, 3.8, 2.9, 0.04, 0.04};

// observation noise (D4RL: value += ratio * amplitude * U(-1, 1), ratio 0.1 by default);
// per-qpos amplitudes, and per-qvel amplitudes (robot 0.1, objects as their qpos)
inline constexpr double kDefaultObservationNoise = 0.1;
inline constexpr double kQposNoiseAmp[kNq] = {
    0.1,   0.1,    0.1,    0.1,    0.1,    0.1,    0.1,    0.1,   0.1,   0.005,
    0.005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.005, 0.005, 0.005,
    0.1,   0.1,    0.1,    0.005,  0.005,  0.005,  0.1,    0.1,   0.1,   0.005};
inline constexpr double kQvelNoiseAmp[kNv] = {
    0.1,   0.1,    0.1,    0.1,    0.1,    0.1,    0.1,    0.1,   0.1,   0.005,
    0.005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.005, 0.005, 0.005,
    0.1,   0.1,    0.1,    0.005,  0.005,  0.005,  0.1,    0.1,   0.1};

// layout of the `state` observation (float32 [59], as Gymnasium's FrankaKitchen-v1)
inline constexpr int kObsRobotQpos = 0;    // qpos 0..8 (noisy)
inline constexpr int kObsRobotQvel = 9;    // qvel 0..8 (noisy)
inline constexpr int kObsObjectQpos = 18;  // qpos 9..29 (noisy)
inline constexpr int kObsObjectQvel = 39;  // qvel 9..28 (noisy)
inline constexpr int kObsSize = 59;

// the tasks (envs.md A8): an element is done when the Euclidean norm of (observed qpos at its
// indices - goal) is below kBonusThreshold
inline constexpr double kBonusThreshold = 0.3;
inline constexpr int kNumTasks = 7;
struct TaskSpec {
  const char* name;  // the `tasks` parameter value; metric `task_<name>`
  int qpos;          // first qpos index
  int size;          // number of qpos entries
  double goal[7];    // goal values for qpos[qpos .. qpos + size)
};
inline constexpr TaskSpec kTasks[kNumTasks] = {
    {"microwave", kMicrowaveQpos, 1, {-0.75}},
    {"kettle", kKettlePosQpos, 7, {-0.23, 0.75, 1.62, 0.99, 0.0, 0.0, -0.06}},
    {"light_switch", kLightLeverQpos, 2, {-0.69, -0.05}},
    {"slide_cabinet", kSlideCabinetQpos, 1, {0.37}},
    {"hinge_cabinet", kHingeLeftQpos, 2, {0.0, 1.45}},
    {"bottom_burner", kKnob2Qpos, 2, {-0.88, -0.01}},
    {"top_burner", kKnob4Qpos, 2, {-0.92, -0.01}},
};

// layout of the SimState of GetState/SetState (doubles)
inline constexpr int kStateTime = 0;                           // simulation time (s)
inline constexpr int kStateQpos = 1;                           // qpos, kNq values
inline constexpr int kStateQvel = kStateQpos + kNq;            // qvel, kNv values
inline constexpr int kStateCtrl = kStateQvel + kNv;            // servo targets, kNu values
inline constexpr int kStateWarmstart = kStateCtrl + kNu;       // qacc_warmstart, kNv values
inline constexpr int kStateObsQpos = kStateWarmstart + kNv;    // noisy robot qpos last observed (9)
inline constexpr int kStateStep = kStateObsQpos + kRobotDofs;  // control steps this episode
inline constexpr int kStateEnded = kStateStep + 1;             // 1 when the episode has ended
inline constexpr int kStateDone = kStateEnded + 1;  // 1 per kTasks entry completed, 7 values
inline constexpr int kStateRng = kStateDone + 7;    // noise generator: key hi, lo, counter hi, lo
inline constexpr int kStateSize = kStateRng + 4;

// names in the model: the end-effector site (mj_name2id(model, mjOBJ_SITE, kEndEffectorSite))
// and the cameras; the first camera is the default of the `camera` parameter
inline constexpr const char* kEndEffectorSite = "end_effector";
inline constexpr const char* kCameraNames[] = {"paper",  "rpl",    "left_cap", "right_cap",
                                               "shift0", "shift1", "overview"};
inline constexpr int kNumCameras = 7;

}  // namespace imitate::plugins::kitchen

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_KITCHEN_KITCHEN_LAYOUT_H_
