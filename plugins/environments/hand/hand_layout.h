// Constants of the hand environment shared with its users (the mpc expert, tests, hand_mjcf):
// tasks, joint tables, the Baoding keyframe and action map, observation and state layouts.
// Every number follows envs.md PART B (the Adroit hand of DAPG: relocate, door) and PART D
// (the ShadowHand Baoding task of PDDM, as CMIL runs it).
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_LAYOUT_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_LAYOUT_H_

namespace imitate::plugins::hand {

// ----- tasks ----- //

enum class Task { kBaoding = 0, kRelocate = 1, kDoor = 2 };
inline constexpr int kNumTasks = 3;
inline constexpr const char* kTaskNames[kNumTasks] = {"baoding", "relocate", "door"};

// sizes of each task's model (index = Task)
inline constexpr int kTaskNq[kNumTasks] = {38, 36, 30};
inline constexpr int kTaskNv[kNumTasks] = {36, 36, 30};
inline constexpr int kTaskNu[kNumTasks] = {24, 30, 28};
inline constexpr int kTaskArmDofs[kNumTasks] = {0, 6, 4};  // arm joints before the hand
// default episode length (control steps): CMIL 75; DAPG/D4RL 200
inline constexpr int kTaskEpisodeLength[kNumTasks] = {75, 200, 200};

// ----- the hand (24 joints, qpos/actuator order of B2/D3) ----- //

inline constexpr int kHandDofs = 24;
inline constexpr const char* kHandJoints[kHandDofs] = {
    "WRJ1", "WRJ0", "FFJ3", "FFJ2", "FFJ1", "FFJ0", "MFJ3", "MFJ2", "MFJ1", "MFJ0", "RFJ3", "RFJ2",
    "RFJ1", "RFJ0", "LFJ4", "LFJ3", "LFJ2", "LFJ1", "LFJ0", "THJ4", "THJ3", "THJ2", "THJ1", "THJ0"};
// joint ranges (rad), both variants
inline constexpr double kHandJointLow[kHandDofs] = {
    -0.524, -0.785, -0.436, 0,      0, 0, -0.436, 0,      0, 0,      -0.436, 0,
    0,      0,      0,      -0.436, 0, 0, 0,      -1.047, 0, -0.262, -0.524, -1.571};
inline constexpr double kHandJointHigh[kHandDofs] = {
    0.175, 0.611, 0.436, 1.571, 1.571, 1.571, 0.436, 1.571, 1.571, 1.571, 0.436, 1.571,
    1.571, 1.571, 0.698, 0.436, 1.571, 1.571, 1.571, 1.047, 1.309, 0.262, 0.524, 0};
// servo ctrl ranges of the fingers and thumb (both variants); the wrist rows differ per variant
inline constexpr double kHandCtrlLow[kHandDofs] = {
    -0.52, -0.79, -0.44, 0,     0, 0, -0.44, 0,    0, 0,     -0.44, 0,
    0,     0,     0,     -0.44, 0, 0, 0,     -1.0, 0, -0.26, -0.52, -1.571};
inline constexpr double kHandCtrlHigh[kHandDofs] = {0.17, 0.61, 0.44, 1.6, 1.6, 1.6,  0.44, 1.6,
                                                    1.6,  1.6,  0.44, 1.6, 1.6, 1.6,  0.7,  0.44,
                                                    1.6,  1.6,  1.6,  1.0, 1.3, 0.26, 0.52, 0};
// Adroit wrist ctrl ranges (B4): WRJ1 -0.524..0.175, WRJ0 -0.79..0.61
inline constexpr double kAdroitWristCtrlLow[2] = {-0.524, -0.79};
inline constexpr double kAdroitWristCtrlHigh[2] = {0.175, 0.61};

// ----- Baoding (PART D) ----- //

// timing (D1): 0.0025 s x 40 = 0.1 s per control step
inline constexpr double kBaodingTimestep = 0.0025;
inline constexpr int kBaodingFrameSkip = 40;

// the reset keyframe (D3): hand joints, then the two balls' positions (D5); balls at rest with
// identity orientation
inline constexpr double kBaodingKeyframe[kHandDofs] = {
    0.0126, -0.398, 0.379,  0.0564, 1.167, 0.0407, 0.265, -0.136, 1.144, 0.045,  0.074,  0.139,
    1.112,  0.234,  -0.022, -0.368, 0.000, 1.25,   0.152, -0.021, 0.374, 0.0939, -0.126, -0.536};
inline constexpr double kBaodingBall1Start[3] = {-0.029, -0.001, 0.190};
inline constexpr double kBaodingBall2Start[3] = {0.030, 0.010, 0.190};
inline constexpr double kBaodingBallRadius = 0.028;

// qpos/qvel indices of the balls' free joints (D3)
inline constexpr int kBaodingBall1Qpos = 24;  // x, y, z, qw, qx, qy, qz
inline constexpr int kBaodingBall2Qpos = 31;
inline constexpr int kBaodingBall1Qvel = 24;  // vx, vy, vz, wx, wy, wz
inline constexpr int kBaodingBall2Qvel = 30;

// action map (D4): target = mid + a * 0.9 * (hi - mid) for a > 0, mid + a * 0.9 * (mid - lo)
// otherwise (mid = keyframe, lo/hi = ctrl range); ctrl = q + clip(target - q, +-0.3)
inline constexpr double kBaodingActionScale = 0.9;
inline constexpr double kBaodingRateLimit = 0.3;  // rad per control step

// targets (D6): theta_k = 2 pi k / 60; ball 1 at theta + 3 pi / 4, ball 2 at theta - pi / 4;
// palm-frame point (0.020 cos(phi) + 0.005, -0.070, 0.036 sin(phi) + 0.055); world xy only
inline constexpr int kBaodingPeriod = 60;  // control steps per revolution
inline constexpr double kBaodingEllipseX = 0.020;
inline constexpr double kBaodingEllipseZ = 0.036;
inline constexpr double kBaodingCentre[3] = {0.005, -0.070, 0.055};

// reward and metrics (D7): r = -5 d1 - 5 d2 - 500 drop - 10 [WRJ0 > 0.15]
inline constexpr double kBaodingDistanceWeight = 5.0;
inline constexpr double kBaodingDropPenalty = 500.0;
inline constexpr double kBaodingWristPenalty = 10.0;
inline constexpr double kBaodingWristLimit = 0.15;
inline constexpr double kBaodingDropHeight = 0.06;  // a ball centre below this z has dropped
inline constexpr double kBaodingOnTarget = 0.02;    // both balls within 2 cm: on target
inline constexpr double kBaodingOnTargetStrict = 0.015;
inline constexpr int kBaodingFirstScoredStep = 11;  // steps 1..10 are a settling allowance
inline constexpr double kBaodingSuccessFraction = 0.9;

// the `state` observation (float32 [40]): D8's layout with its velocity bug fixed
inline constexpr int kBaodingObsHand = 0;       // hand joint positions (24)
inline constexpr int kBaodingObsBall1 = 24;     // ball 1 world position (3)
inline constexpr int kBaodingObsBall1Vel = 27;  // ball 1 linear velocity (3)
inline constexpr int kBaodingObsBall2 = 30;     // ball 2 world position (3)
inline constexpr int kBaodingObsBall2Vel = 33;  // ball 2 linear velocity (3)
inline constexpr int kBaodingObsTarget1 = 36;   // target 1 world xy (2)
inline constexpr int kBaodingObsTarget2 = 38;   // target 2 world xy (2)
inline constexpr int kBaodingObsSize = 40;

// free camera of CMIL's images (D9)
inline constexpr double kBaodingCameraLookat[3] = {0.0070, -0.0010, 0.1704};
inline constexpr double kBaodingCameraDistance = 0.3;
inline constexpr double kBaodingCameraAzimuth = -67.5;
inline constexpr double kBaodingCameraElevation = -42.5;

// ----- Adroit tasks (PART B) ----- //

// timing (B1): 0.002 s x 5 = 0.01 s per control step
inline constexpr double kAdroitTimestep = 0.002;
inline constexpr int kAdroitFrameSkip = 5;

// relocate (B5): the ball spawns on the table, the target is a site in the air
inline constexpr double kRelocateBallLow[3] = {-0.15, -0.15, 0.035};
inline constexpr double kRelocateBallHigh[3] = {0.15, 0.3, 0.035};
inline constexpr double kRelocateTargetLow[3] = {-0.2, -0.2, 0.15};
inline constexpr double kRelocateTargetHigh[3] = {0.2, 0.2, 0.35};
inline constexpr int kRelocateBallQpos = 30;  // 3 slides + 3 hinges of the ball (qvel equal)
// door (B5): the frame's position
inline constexpr double kDoorFrameLow[3] = {-0.3, 0.25, 0.252};
inline constexpr double kDoorFrameHigh[3] = {-0.2, 0.35, 0.35};
inline constexpr int kDoorHingeQpos = 28;
inline constexpr int kDoorLatchQpos = 29;
// success (B7): goal achieved on more than 25 steps of the episode
inline constexpr int kAdroitSuccessSteps = 25;
inline constexpr double kRelocateGoalDistance = 0.1;
inline constexpr double kDoorGoalAngle = 1.35;

// the `state` observation (float32 [39], B6)
// relocate: qpos 0..29 (6 arm + 24 hand), palm - ball, palm - target, ball - target
// door: qpos 1..27 (ARRx, ARRy, ARRz + 24 hand), latch, hinge, palm, handle, palm - handle,
// door-open flag (+1 when hinge > 1.0, else -1)
inline constexpr int kAdroitObsSize = 39;

// ----- names in the models ----- //

inline constexpr const char* kPalmSite = "S_grasp";  // Adroit "palm position"
inline constexpr const char* kPalmBody = "palm";
inline constexpr const char* kBall1Body = "ball1";  // Baoding
inline constexpr const char* kBall2Body = "ball2";
inline constexpr const char* kRelocateBallBody = "Object";
inline constexpr const char* kRelocateTargetSite = "target";
inline constexpr const char* kDoorFrameBody = "frame";
inline constexpr const char* kDoorHandleSite = "S_handle";

// cameras per task; the first is the default. `cmil` is the free camera of D9 (the MJCF's
// <statistic> and <visual> make it the viewer's default view too); the others are fixed cameras.
inline constexpr const char* kBaodingCameras[] = {"cmil", "top", "side"};
inline constexpr const char* kAdroitCameras[] = {"vil_camera", "fixed"};

// ----- GetState / SetState (doubles) ----- //
// [time, step, ended, qpos (nq), qvel (nv), act (na = 0), ctrl (nu), qacc_warmstart (nv),
//  task positions (6: relocate ball body pos + target site pos; door frame pos + 0 0 0;
//  baoding 0), bookkeeping (5: baoding dropped, distance sum, scored steps, steps on target
//  2 cm, 1.5 cm; Adroit goal steps + 0 0 0 0)]
inline constexpr int kStateTime = 0;
inline constexpr int kStateStep = 1;
inline constexpr int kStateEnded = 2;
inline constexpr int kStateQpos = 3;
inline constexpr int kStateRandom = 6;  // size of the task-position block
inline constexpr int kStateBook = 5;    // size of the bookkeeping block
// the total size for a task: 3 + nq + 2 nv + nu + 6 + 5
inline constexpr int StateSize(Task task) {
  const int t = static_cast<int>(task);
  return kStateQpos + kTaskNq[t] + 2 * kTaskNv[t] + kTaskNu[t] + kStateRandom + kStateBook;
}

}  // namespace imitate::plugins::hand

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_LAYOUT_H_
