// The waypoint plans of the kitchen_script expert: one list of segments per kitchen task, in
// world coordinates of the kitchen look-alike (plugins/environments/kitchen), with randomised
// offsets, speeds, goals and pauses.
#ifndef IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_WAYPOINT_PLAN_H_
#define IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_WAYPOINT_PLAN_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "plugins/experts/kitchen_script/arm_kinematics.h"

namespace imitate::plugins::kitchen_script {

// How a segment moves the end-effector site.
enum class SegmentKind {
  kMove,   // to a fixed target (or one relative to where the segment starts)
  kArc,    // carry the grasped point around a vertical hinge, leading the door angle
  kTurn,   // hold the position and roll the gripper about world +y, leading the knob angle
  kHome,   // joint-space move back to the initial posture (between tasks)
  kJoint,  // joint-space move to an IK solution of the target (solved at the segment's start)
};

// Gripper orientation families (the frame is the site frame at the start of the episode,
// turned as described).
enum class Grasp {
  kFront,         // the initial frame: approach +y, fingers closing along x
  kTop,           // approach -z, fingers closing along y
  kFrontFlipped,  // kFront turned half a turn about the approach (keeps J7 off its limit)
};

// One step of a plan.
struct Segment {
  SegmentKind kind = SegmentKind::kMove;
  std::string label;      // for messages and the README
  Vec3 target{};          // kMove: site target (world, m)
  bool relative = false;  // kMove: target is an offset from the site at the segment's start
  double back = 0;        // kMove, relative: extra retreat along -approach (m)
  Grasp grasp = Grasp::kFront;
  double yaw = 0;                   // the grasp frame turned about world z by this angle (rad)
  double gripper = 1.0;             // finger action: +1 open, -1 close
  double tolerance = 0.015;         // kMove: reached within this distance (m)
  int min_steps = 0;                // stay at least this many steps
  int max_steps = 40;               // advance after this many steps in any case
  double speed = 1.0;               // scale of the nominal Cartesian speed
  int task = -1;                    // also done once this task (kTasks index) is done in the env
  bool turn_frame = false;          // kJoint: the frame may turn a little about world z and x
  bool keep_frame = false;          // keep the frame commanded last (after a kJoint move)
  bool free_yaw = false;            // leave the rotation about world z free
  double orientation_weight = 1.0;  // scale of the rotation error (< 1: position first)
  // the object joint this segment drives (qpos index, -1: none) and when it is done
  int joint = -1;
  double goal = 0;
  double direction = 0;    // +1: done when qpos >= goal; -1: done when qpos <= goal
  double lead = 0;         // kArc/kTurn: commanded angle ahead of the joint (rad, signed)
  Vec3 pivot{};            // kArc: a point on the hinge axis (world; z unused)
  double yaw_ratio = 1.0;  // kArc: gripper yaw per radian of door
};

// Randomisation of a plan (all zero: the nominal plan).
struct PlanNoise {
  double offset = 0;             // half-width of uniform waypoint offsets (m)
  double speed_spread = 0;       // segment speeds scaled by U(1 - s, 1 + s)
  double goal_spread = 0;        // object goals shifted by U(-s, s) (rad or m, in success range)
  double pause_probability = 0;  // chance of a 1-4 step pause before each segment
};

// Names of the tasks plans exist for, in the environment's spelling.
const std::vector<std::string>& KnownTasks();

// A joint-space move back to the initial arm posture (open gripper).
Segment HomeSegment();

// The segments of one task. Throws ConfigError for an unknown task name.
std::vector<Segment> PlanTask(const std::string& task, const PlanNoise& noise,
                              std::mt19937_64& rng);

// A uniform sample in [lo, hi) from `rng` (the same on every platform).
double Uniform(std::mt19937_64& rng, double lo, double hi);

}  // namespace imitate::plugins::kitchen_script

#endif  // IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_WAYPOINT_PLAN_H_
