#include "plugins/experts/kitchen_script/waypoint_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::plugins::kitchen_script {
namespace {

// object qpos indices (spec A4)
constexpr int kKnob2 = 11;
constexpr int kKnob4 = 15;
constexpr int kLightLever = 17;
constexpr int kSlide = 19;
constexpr int kHingeRight = 21;
constexpr int kMicrowave = 22;
constexpr int kKettleX = 23;

// builds one task's segments with the episode's randomisation
class Builder {
 public:
  Builder(const PlanNoise& noise, std::mt19937_64& rng) : noise_(noise), rng_(rng) {}

  // a random offset of the given scale (fraction of noise.offset) per axis
  Vec3 Jitter(const Vec3& p, double scale, bool x = true, bool y = true, bool z = true) {
    double r = noise_.offset * scale;
    Vec3 q = p;
    if (x) q[0] += Uniform(rng_, -r, r);
    if (y) q[1] += Uniform(rng_, -r, r);
    if (z) q[2] += Uniform(rng_, -r, r);
    return q;
  }
  double Goal(double g) { return g + Uniform(rng_, -noise_.goal_spread, noise_.goal_spread); }
  // a controller setting drawn from [lo, hi] when randomising, else its midpoint
  double Vary(double lo, double hi) {
    return noise_.speed_spread > 0 ? Uniform(rng_, lo, hi) : 0.5 * (lo + hi);
  }

  // appends a segment, maybe after a pause, with a jittered speed
  Segment& Add(Segment s) {
    if (noise_.pause_probability > 0 && Uniform(rng_, 0, 1) < noise_.pause_probability) {
      Segment pause;
      pause.label = "pause";
      pause.relative = true;
      pause.grasp = plan_.empty() ? s.grasp : plan_.back().grasp;
      pause.gripper = plan_.empty() ? s.gripper : plan_.back().gripper;
      pause.min_steps = pause.max_steps = 1 + static_cast<int>(Uniform(rng_, 0, 4));
      plan_.push_back(pause);
    }
    s.speed *= 1.0 + Uniform(rng_, -noise_.speed_spread, noise_.speed_spread);
    plan_.push_back(s);
    return plan_.back();
  }
  Segment& Move(const std::string& label, const Vec3& target, Grasp grasp, double gripper,
                double tolerance, int max_steps) {
    Segment s;
    s.label = label;
    s.target = target;
    s.grasp = grasp;
    s.gripper = gripper;
    s.tolerance = tolerance;
    s.max_steps = max_steps;
    return Add(s);
  }
  // holds the current position while the gripper opens or closes
  Segment& Hold(const std::string& label, Grasp grasp, double gripper, int steps) {
    Segment s;
    s.label = label;
    s.relative = true;
    s.grasp = grasp;
    s.gripper = gripper;
    s.min_steps = s.max_steps = steps;
    return Add(s);
  }
  // backs off along -approach and by `offset` (world)
  Segment& Retreat(const std::string& label, Grasp grasp, double back, const Vec3& offset) {
    Segment s;
    s.label = label;
    s.relative = true;
    s.target = offset;
    s.back = back;
    s.grasp = grasp;
    s.gripper = 1.0;
    s.tolerance = 0.03;
    s.max_steps = 15;
    return Add(s);
  }
  // a segment that drives an object's joint to its (jittered) goal with the gripper closed; the
  // caller sets its lead (and pivot, yaw ratio) and Add()s it
  Segment Driver(SegmentKind kind, const std::string& label, Grasp grasp, int joint, double goal,
                 double direction, int max_steps) {
    Segment s;
    s.kind = kind;
    s.label = label;
    s.grasp = grasp;
    s.gripper = -1.0;
    s.joint = joint;
    s.goal = Goal(goal);
    s.direction = direction;
    s.max_steps = max_steps;
    return s;
  }
  std::vector<Segment> Take() { return std::move(plan_); }

 private:
  const PlanNoise& noise_;
  std::mt19937_64& rng_;
  std::vector<Segment> plan_;
};

// a door on a vertical hinge: straddle the handle from above with the fingers closing along the
// door's normal (so the pads pull by contact, not friction), then carry it around the hinge
void PlanTopDoor(Builder& b, const Vec3& handle, double door_yaw, int joint, double goal,
                 double direction, const Vec3& pivot, double height) {
  Vec3 grasp = b.Jitter({handle[0], handle[1], handle[2] + height}, 0.2, true, true, false);
  Segment& pre = b.Move("above handle", b.Jitter({grasp[0], grasp[1], grasp[2] + 0.10}, 1.0),
                        Grasp::kTop, 1.0, 0.02, 50);
  pre.yaw = door_yaw;
  Segment& down = b.Move("descend", grasp, Grasp::kTop, 1.0, 0.012, 20);
  down.yaw = door_yaw;
  down.speed = 0.5;
  b.Hold("close", Grasp::kTop, -1.0, 5).yaw = door_yaw;
  // carry the handle around the hinge, yawing with the door
  Segment s = b.Driver(SegmentKind::kArc, "swing door", Grasp::kTop, joint, goal, direction, 60);
  s.lead = 0.12 * direction;
  s.pivot = pivot;
  s.yaw_ratio = 1.0;
  b.Add(s);
  b.Hold("release", Grasp::kTop, 1.0, 4).yaw = door_yaw;
  b.Retreat("lift off", Grasp::kTop, 0.0, {0, 0, 0.10});
}

// the front approach to a vertical bar: the open gripper `back` m before the (jittered) grasp
// point, in slowly (`label`), close
void FrontGrasp(Builder& b, const Vec3& point, double back, const std::string& label) {
  Vec3 grasp = b.Jitter(point, 0.2, true, false, true);
  b.Move("pre-grasp", b.Jitter({grasp[0], grasp[1] - back, grasp[2]}, 1.0), Grasp::kFront, 1.0,
         0.02, 45);
  b.Move(label, grasp, Grasp::kFront, 1.0, 0.01, 25).speed = 0.5;
  b.Hold("close", Grasp::kFront, -1.0, 5);
}

// a door with a vertical handle at reach height: grasp it from the front (fingers closing
// along x), then carry it around the hinge with the gripper yawing by at most a fifth of the
// door angle: as the door opens, the handle's path turns towards the closing axis, so the pad
// on the free-edge side pushes the handle by contact; a gripper yawing with the door (0.6) pulls
// along the approach by friction only and creeps (0.005 rad per step, ~0.5 rad in 80 steps)
void PlanFrontDoor(Builder& b, const Vec3& handle, int joint, double goal, double direction,
                   const Vec3& pivot) {
  FrontGrasp(b, {handle[0], handle[1] + 0.012, handle[2]}, 0.10, "reach handle");
  // carry the handle around the hinge, leading the door by 0.15-0.25 rad
  Segment s = b.Driver(SegmentKind::kArc, "swing door", Grasp::kFront, joint, goal, direction, 80);
  s.lead = b.Vary(0.15, 0.25) * direction;
  s.pivot = pivot;
  s.yaw_ratio = b.Vary(0.0, 0.2);
  b.Add(s);
  b.Hold("release", Grasp::kFront, 1.0, 4).keep_frame = true;
  b.Retreat("back off", Grasp::kFront, 0.08, {0, 0, 0});
}

// a knob on the hood: grasp the bar, roll the gripper clockwise (seen from the robot)
void PlanKnob(Builder& b, const Vec3& face, int joint, double goal) {
  FrontGrasp(b, {face[0], face[1] - 0.025, face[2]}, 0.09, "reach bar");
  // roll towards the goal, leading the knob by 0.35 rad
  Segment s = b.Driver(SegmentKind::kTurn, "turn knob", Grasp::kFront, joint, goal, -1.0, 80);
  s.lead = 0.35;
  b.Add(s);
  b.Hold("release", Grasp::kFront, 1.0, 3);
  b.Retreat("retreat", Grasp::kFront, 0.10, {0, 0, 0});
}

// a sideways push with the closed gripper from `start` to `end` until the joint is done
void PlanPush(Builder& b, const Vec3& start, const Vec3& end, int joint, double goal,
              double direction) {
  Vec3 p = b.Jitter(start, 0.3, false, true, true);
  b.Move("pre-push", b.Jitter({p[0], p[1] - 0.08, p[2]}, 1.0), Grasp::kFront, -1.0, 0.02, 45);
  b.Move("reach", p, Grasp::kFront, -1.0, 0.012, 25).speed = 0.6;
  Segment& push = b.Move("push", {end[0], p[1], p[2]}, Grasp::kFront, -1.0, 0.015, 40);
  push.speed = 0.7;
  push.joint = joint;
  push.goal = b.Goal(goal);
  push.direction = direction;
  b.Retreat("retreat", Grasp::kFront, 0.0, {0, -0.10, 0});
}

// the kettle: hook the closed fingers under the top handle (between the posts), lift it by
// contact, carry it to the back-left burner, put it down and pull out
void PlanKettle(Builder& b) {
  const Vec3 handle{-0.269, 0.350, 1.878};  // handle centre at the start
  // fingertips under the handle: pads (1.8 cm above the site) below the handle's underside
  Vec3 hook = b.Jitter({handle[0], handle[1] - 0.016, 1.795}, 0.3, true, false, true);
  Vec3 place = b.Jitter({-0.23, 0.75 - 0.016, hook[2] + 0.085}, 0.5, true, true, false);
  // reach the kettle in the arm posture that can also carry it to the back burner
  Segment& before = b.Move("before kettle", b.Jitter({hook[0], hook[1] - 0.12, hook[2]}, 1.0),
                           Grasp::kFrontFlipped, -1.0, 0.015, 60);
  before.kind = SegmentKind::kJoint;
  before.turn_frame = true;
  Segment& under = b.Move("under handle", hook, Grasp::kFrontFlipped, -1.0, 0.012, 20);
  under.speed = 0.5;
  under.keep_frame = true;
  Segment& lift =
      b.Move("lift", {hook[0], hook[1], hook[2] + 0.085}, Grasp::kFrontFlipped, -1.0, 0.02, 20);
  lift.speed = 0.4;
  lift.keep_frame = true;
  Segment& carry = b.Move("carry", place, Grasp::kFrontFlipped, -1.0, 0.012, 50);
  carry.speed = 0.5;
  carry.keep_frame = true;
  carry.orientation_weight = 0.4;
  Segment& lower =
      b.Move("lower", {place[0], place[1], hook[2] - 0.01}, Grasp::kFrontFlipped, -1.0, 0.01, 6);
  lower.speed = 0.3;
  lower.keep_frame = true;
  b.Retreat("pull out", Grasp::kFrontFlipped, 0.0, {0, -0.15, 0});
  (void)kKettleX;
}

}  // namespace

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

Segment HomeSegment() {
  Segment s;
  s.kind = SegmentKind::kHome;
  s.label = "home";
  s.gripper = 1.0;
  s.max_steps = 25;
  return s;
}

const std::vector<std::string>& KnownTasks() {
  static const std::vector<std::string> tasks = {"microwave",     "kettle",        "light_switch",
                                                 "slide_cabinet", "hinge_cabinet", "bottom_burner",
                                                 "top_burner"};
  return tasks;
}

std::vector<Segment> PlanTask(const std::string& task, const PlanNoise& noise,
                              std::mt19937_64& rng) {
  Builder b(noise, rng);
  const int index = static_cast<int>(std::find(KnownTasks().begin(), KnownTasks().end(), task) -
                                     KnownTasks().begin());
  if (task == "microwave") {
    PlanTopDoor(b, {-0.642, 0.493, 1.792}, 0.3, kMicrowave, -0.75, -1.0, {-1.128, 0.455, 0}, 0.145);
  } else if (task == "hinge_cabinet") {
    PlanFrontDoor(b, {-0.526, 0.583, 2.520}, kHingeRight, 1.40, 1.0, {-0.224, 0.710, 0});
  } else if (task == "kettle") {
    PlanKettle(b);
  } else if (task == "light_switch") {
    PlanPush(b, {-0.33, 0.58, 2.28}, {-0.45, 0.58, 2.28}, kLightLever, -0.62, -1.0);
  } else if (task == "slide_cabinet") {
    PlanPush(b, {-0.165, 0.575, 2.60}, {0.22, 0.575, 2.60}, kSlide, 0.34, 1.0);
  } else if (task == "bottom_burner") {
    PlanKnob(b, {-0.256, 0.640, 2.226}, kKnob2, -0.85);
  } else if (task == "top_burner") {
    PlanKnob(b, {-0.256, 0.640, 2.340}, kKnob4, -0.88);
  } else {
    throw ConfigError("kitchen_script: no plan for the task '" + task + "'");
  }
  std::vector<Segment> plan = b.Take();
  // the driving segments end as soon as the env counts the task (it stays counted)
  for (Segment& s : plan) {
    if (s.joint >= 0 || s.label == "carry") s.task = index;
  }
  return plan;
}

}  // namespace imitate::plugins::kitchen_script
