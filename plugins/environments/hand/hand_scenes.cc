// Whole scenes per task: simulation options, visuals, the mount (B3, D2), the task objects
// (B5, D5) and the keyframe, around the hand of hand_model.cc.
#include <cstdio>
#include <string>

#include "plugins/environments/hand/hand_builder.h"
#include "plugins/environments/hand/hand_model.h"

namespace imitate::plugins::hand {

// ----- the writer ----- //

std::string Num(double v) {
  if (v == 0.0) return "0";  // no "-0"
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", v);
  return buffer;
}

std::string Num(std::initializer_list<double> v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : " ") + Num(x);
  return out;
}

std::string Num(const Vec3& v) { return Num({v[0], v[1], v[2]}); }

void MjcfWriter::Tag(const std::string& tag, const Attrs& attrs, bool leaf) {
  out_.append(2 * open_.size(), ' ');
  out_ += "<" + tag;
  for (const auto& [key, value] : attrs) {
    if (!value.empty()) out_ += " " + key + "=\"" + value + "\"";
  }
  out_ += leaf ? "/>\n" : ">\n";
}

void MjcfWriter::Open(const std::string& tag, const Attrs& attrs) {
  Tag(tag, attrs, false);
  open_.push_back(tag);
}

void MjcfWriter::Leaf(const std::string& tag, const Attrs& attrs) { Tag(tag, attrs, true); }

void MjcfWriter::Close(int n) {
  for (int i = 0; i < n && !open_.empty(); ++i) {
    out_.append(2 * (open_.size() - 1), ' ');
    out_ += "</" + open_.back() + ">\n";
    open_.pop_back();
  }
}

void MjcfWriter::Comment(const std::string& text) {
  out_.append(2 * open_.size(), ' ');
  out_ += "<!-- " + text + " -->\n";
}

void Geom(MjcfWriter& w, const std::string& name, const GeomSpec& g, const char* cls) {
  const bool rotated = g.euler[0] != 0 || g.euler[1] != 0 || g.euler[2] != 0;
  std::string size = g.type == std::string("capsule") || g.type == std::string("cylinder")
                         ? Num({g.size[0], g.size[1]})
                     : g.type == std::string("sphere") ? Num(g.size[0])
                                                       : Num(g.size);
  w.Leaf("geom", {{"name", name},
                  {"class", cls ? cls : ""},
                  {"type", g.type},
                  {"size", size},
                  {"pos", Num(g.pos)},
                  {"euler", rotated ? Num(g.euler) : ""},
                  {"condim", g.condim != 3 ? std::to_string(g.condim) : ""}});
}

namespace {

// ----- mounts (B3, D2) ----- //

// Baoding: a fixed mount at (0, -0.4, 0.2) turned -1.57 about x (palm up); no arm joints
const Mount kBaodingMount = {{0, 0.01, 0}, false, {0, 0, 0}, {}};

// Adroit palm down (forearm Euler (-1.57, 0, 3.14)): world -x = forearm x, world +z = forearm
// y, world +y = forearm z; so the spec's world axes become these forearm axes
const Mount kRelocateMount = {{0, -0.7, 0.2},
                              true,
                              {-1.57, 0, 3.14},
                              {{"ARTx", true, {1, 0, 0}, -0.25, 0.25},
                               {"ARTy", true, {0, 1, 0}, 0, 0.2},
                               {"ARTz", true, {0, 0, 1}, -0.3, 0.5},
                               {"ARRx", false, {1, 0, 0}, -0.75, 0.75},
                               {"ARRy", false, {0, 1, 0}, -0.75, 0.75},
                               {"ARRz", false, {0, 0, 1}, -0.75, 0.75}}};
const Mount kDoorMount = {{0, -0.7, 0.2},
                          true,
                          {-1.57, 0, 3.14},
                          {{"ARTz", true, {0, 0, 1}, -0.3, 0.5},
                           {"ARRx", false, {1, 0, 0}, -0.75, 0.75},
                           {"ARRy", false, {0, 1, 0}, -0.75, 0.75},
                           {"ARRz", false, {0, 0, 1}, -1.0, 2.0}}};

const Mount& MountOf(Task task) {
  switch (task) {
    case Task::kBaoding:
      return kBaodingMount;
    case Task::kRelocate:
      return kRelocateMount;
    case Task::kDoor:
      break;
  }
  return kDoorMount;
}

// ----- common sections ----- //

void Header(MjcfWriter& w, Task task) {
  const bool baoding = task == Task::kBaoding;
  w.Open("mujoco", {{"model", std::string("hand_") + kTaskNames[static_cast<int>(task)]}});
  w.Leaf("compiler", {{"angle", "radian"}});
  // D1 (no noslip) or B1 (noslip 20); Euler, Newton, pyramidal cones are MuJoCo's defaults
  w.Leaf("option", {{"timestep", Num(baoding ? kBaodingTimestep : kAdroitTimestep)},
                    {"iterations", "20"},
                    {"noslip_iterations", baoding ? "" : "20"}});
  w.Leaf("size", {{"njmax", baoding ? "400" : "1000"}, {"nconmax", baoding ? "100" : "200"}});
  // Baoding: the viewer's free camera is CMIL's (D9): lookat = centre, distance 1.5 x extent
  if (baoding) {
    w.Leaf("statistic", {{"center", Num({kBaodingCameraLookat[0], kBaodingCameraLookat[1],
                                         kBaodingCameraLookat[2]})},
                         {"extent", Num(kBaodingCameraDistance / 1.5)}});
  }
  w.Open("visual");
  w.Leaf("global", {{"fovy", "45"},
                    {"azimuth", baoding ? Num(kBaodingCameraAzimuth) : "90"},
                    {"elevation", baoding ? Num(kBaodingCameraElevation) : "-30"}});
  // no shadows, no multisampling: software rendering stays fast (as the kitchen)
  w.Leaf("quality", {{"shadowsize", "0"}, {"offsamples", "0"}});
  w.Close();
  // materials
  w.Open("asset");
  w.Leaf("texture", {{"name", "checker"},
                     {"type", "2d"},
                     {"builtin", "checker"},
                     {"rgb1", "0.2 0.3 0.4"},
                     {"rgb2", "0.1 0.15 0.2"},
                     {"width", "512"},
                     {"height", "512"}});
  // Baoding's floor mirrors the scene (D9); Adroit's ground is far below and plain
  w.Leaf("material", {{"name", "floor"},
                      {"texture", "checker"},
                      {"texrepeat", "2 2"},
                      {"reflectance", baoding ? "0.5" : ""}});
  // the original's reflectance 0.5 acts on its meshes not at all (MuJoCo mirrors only planes
  // and boxes); on our primitive boxes it would add a mirrored scene per box, so it is 0
  w.Leaf("material",
         {{"name", "baoding_hand"}, {"rgba", "0.15 0.15 0.15 1"}, {"specular", "0.75"}});
  w.Leaf("material", {{"name", "adroit_hand"}, {"rgba", "0.72 0.72 0.74 1"}, {"specular", "0.3"}});
  w.Leaf("material", {{"name", "pad"}, {"rgba", "0 0.9 0.6 1"}});
  w.Leaf("material", {{"name", "ball1"},
                      {"rgba", "1 0.8 0.31 1"},
                      {"specular", "0.1"},
                      {"shininess", "0.1"},
                      {"reflectance", "0.1"}});
  w.Leaf("material", {{"name", "ball2"},
                      {"rgba", "0.84 0.59 0.53 1"},
                      {"specular", "0.1"},
                      {"shininess", "0.1"},
                      {"reflectance", "0.1"}});
  w.Leaf("material", {{"name", "table"}, {"rgba", "0.62 0.5 0.38 1"}, {"specular", "0.1"}});
  w.Leaf("material", {{"name", "object"}, {"rgba", "0.9 0.25 0.2 1"}, {"specular", "0.3"}});
  w.Leaf("material", {{"name", "wood"}, {"rgba", "0.55 0.4 0.28 1"}, {"specular", "0.1"}});
  w.Leaf("material", {{"name", "metal"}, {"rgba", "0.8 0.8 0.82 1"}, {"specular", "0.8"}});
  w.Close();
  // defaults: the hand's classes
  w.Open("default");
  HandDefaults(w, VariantOf(task));
  w.Close();
}

// ----- scenes ----- //

// D2, D5: checker floor, spot light, the palm-up hand and two balls
void BaodingWorld(MjcfWriter& w) {
  w.Leaf("light", {{"name", "spot"},
                   {"pos", "0 1 4"},
                   {"dir", "0 -1 -4"},
                   {"directional", "false"},
                   {"diffuse", "0.8 0.8 0.8"},
                   {"specular", "0.3 0.3 0.3"}});
  w.Leaf("geom",
         {{"name", "floor"}, {"type", "plane"}, {"size", "1 1 0.1"}, {"material", "floor"}});
  w.Leaf("camera", {{"name", "top"}, {"pos", "0.006 -0.032 0.55"}, {"xyaxes", "1 0 0 0 1 0"}});
  w.Leaf("camera", {{"name", "side"}, {"pos", "0.45 -0.05 0.3"}, {"xyaxes", "0 1 0 -0.3 0 1"}});
  w.Open("body", {{"name", "mount"}, {"pos", "0 -0.4 0.2"}, {"euler", "-1.57 0 0"}});
  HandTree(w, VariantOf(Task::kBaoding), kBaodingMount);
  w.Close();
  const Vec3 starts[2] = {{kBaodingBall1Start[0], kBaodingBall1Start[1], kBaodingBall1Start[2]},
                          {kBaodingBall2Start[0], kBaodingBall2Start[1], kBaodingBall2Start[2]}};
  for (int b = 0; b < 2; ++b) {
    const std::string name = b == 0 ? kBall1Body : kBall2Body;
    w.Open("body", {{"name", name}, {"pos", Num(starts[b])}});
    w.Leaf("freejoint", {{"name", name}});
    w.Leaf("inertial",
           {{"pos", "0 0 0"}, {"mass", "0.043"}, {"diaginertia", "1.35e-5 1.35e-5 1.35e-5"}});
    w.Leaf("geom", {{"name", name},
                    {"type", "sphere"},
                    {"size", Num(kBaodingBallRadius)},
                    {"condim", "4"},
                    {"friction", "1 0.005 0.0001"},
                    {"margin", "0"},
                    {"material", name}});
    w.Close();
  }
}

// B5: a table whose top is at z = 0 on four visual legs, a far ground, two cameras (B8)
void AdroitWorld(MjcfWriter& w) {
  w.Leaf("light", {{"name", "sun"},
                   {"pos", "0 -0.5 3"},
                   {"dir", "0 0.2 -1"},
                   {"directional", "true"},
                   {"diffuse", "0.6 0.6 0.6"},
                   {"specular", "0.2 0.2 0.2"}});
  // the ground catches objects but never the hand (conaffinity 2: only contype-2 objects)
  w.Leaf("geom", {{"name", "ground"},
                  {"type", "plane"},
                  {"pos", "0 0 -1"},
                  {"size", "3 3 0.1"},
                  {"contype", "0"},
                  {"conaffinity", "2"},
                  {"material", "floor"}});
  w.Open("body", {{"name", "table"}});
  w.Leaf("geom", {{"name", "table_top"},
                  {"type", "box"},
                  {"pos", "0 0 -0.025"},
                  {"size", "0.45 0.45 0.025"},
                  {"material", "table"}});
  for (int i = 0; i < 4; ++i) {
    const double x = (i & 1) ? 0.4 : -0.4, y = (i & 2) ? 0.4 : -0.4;
    w.Leaf("geom", {{"name", "table_leg" + std::to_string(i)},
                    {"type", "box"},
                    {"pos", Num({x, y, -0.525})},
                    {"size", "0.025 0.025 0.475"},
                    {"contype", "0"},
                    {"conaffinity", "0"},
                    {"material", "table"}});
  }
  w.Close();
  w.Leaf("camera", {{"name", "fixed"}, {"pos", "0 -0.7 0.7"}, {"quat", "0.924 0.383 0 0"}});
  w.Leaf("camera", {{"name", "vil_camera"}, {"pos", "0 -1.2 1.2"}, {"quat", "0.924 0.383 0 0"}});
}

// B5 relocate: a ball on 6 unlimited joints (its body position is randomised at reset) and a
// non-colliding target site. The three hinges get a small armature (about 11% of the ball's
// rotational inertia): without it the mass matrix is singular when OBJRy reaches +-pi/2 (gimbal
// lock), and a fast-rolling ball made MuJoCo reset the whole simulation.
void RelocateObjects(MjcfWriter& w) {
  w.Open("body", {{"name", kRelocateBallBody}, {"pos", "0 0 0.035"}});
  const char* names[6] = {"OBJTx", "OBJTy", "OBJTz", "OBJRx", "OBJRy", "OBJRz"};
  for (int i = 0; i < 6; ++i) {
    const Vec3 axis = {i % 3 == 0 ? 1.0 : 0.0, i % 3 == 1 ? 1.0 : 0.0, i % 3 == 2 ? 1.0 : 0.0};
    w.Leaf("joint", {{"name", names[i]},
                     {"type", i < 3 ? "slide" : "hinge"},
                     {"axis", Num(axis)},
                     {"limited", "false"},
                     {"armature", i < 3 ? "0" : "1e-05"}});
  }
  w.Leaf("geom", {{"name", "sphere"},
                  {"type", "sphere"},
                  {"size", "0.035"},
                  {"mass", "0.18"},
                  {"condim", "4"},
                  {"contype", "3"},
                  {"conaffinity", "1"},
                  {"material", "object"}});
  w.Close();
  w.Leaf("site", {{"name", kRelocateTargetSite},
                  {"type", "sphere"},
                  {"pos", "0 0 0.2"},
                  {"size", "0.07"},
                  {"rgba", "0 1 0 0.125"}});
}

// B5 door: a static frame (position randomised at reset) with two posts, the door leaf on its
// hinge, and the latch with its lever handle and the bolt that catches behind the left post
void DoorObjects(MjcfWriter& w) {
  w.Open("body", {{"name", kDoorFrameBody}, {"pos", "-0.107 0.044 0.447"}});
  w.Leaf("geom", {{"name", "post_right"},
                  {"type", "cylinder"},
                  {"size", "0.05 0.25"},
                  {"pos", "0.6 0 0"},
                  {"material", "wood"}});
  w.Leaf("geom", {{"name", "post_left"},
                  {"type", "cylinder"},
                  {"size", "0.05 0.25"},
                  {"pos", "-0.02 0 0"},
                  {"material", "wood"}});
  w.Open("body", {{"name", "door"}, {"pos", "0.29 0 0"}});
  w.Leaf("inertial", {{"pos", "0 0 0"}, {"mass", "2.43"}, {"diaginertia", "0.0527 0.083 0.0344"}});
  w.Leaf("joint", {{"name", "door_hinge"},
                   {"type", "hinge"},
                   {"pos", "0.31 0 0"},
                   {"axis", "0 0 1"},
                   {"limited", "true"},
                   {"range", "0 1.57"},
                   {"damping", "1"},
                   {"frictionloss", "2"}});
  w.Leaf("geom", {{"name", "door_leaf"},
                  {"type", "box"},
                  {"size", "0.2 0.05 0.25"},
                  {"friction", "1 1 1"},
                  {"material", "wood"}});
  w.Leaf("geom", {{"name", "door_edge_left"},
                  {"type", "cylinder"},
                  {"size", "0.05 0.25"},
                  {"pos", "-0.2 0 0"},
                  {"material", "wood"}});
  w.Leaf("geom", {{"name", "door_edge_right"},
                  {"type", "cylinder"},
                  {"size", "0.05 0.25"},
                  {"pos", "0.2 0 0"},
                  {"material", "wood"}});
  w.Open("body", {{"name", "latch"}, {"pos", "-0.15 0 -0.025"}});
  w.Leaf("inertial",
         {{"pos", "-0.018 0.014 0"}, {"mass", "3.54"}, {"diaginertia", "0.035 0.015 0.05"}});
  w.Leaf("joint", {{"name", "latch"},
                   {"type", "hinge"},
                   {"axis", "0 1 0"},
                   {"limited", "true"},
                   {"range", "0 1.8"},
                   {"frictionloss", "5"}});
  w.Leaf("geom", {{"name", "latch_shaft"},
                  {"type", "cylinder"},
                  {"size", "0.05 0.15"},
                  {"euler", "1.5708 0 0"},
                  {"material", "metal"}});
  w.Leaf("geom", {{"name", "handle"},
                  {"type", "capsule"},
                  {"size", "0.02 0.1"},
                  {"pos", "0.1 -0.15 0"},
                  {"euler", "0 1.5708 0"},
                  {"material", "metal"}});
  w.Leaf("geom", {{"name", "bolt"},
                  {"type", "capsule"},
                  {"size", "0.04 0.07"},
                  {"pos", "-0.1 0.1 0"},
                  {"euler", "0 1.5708 0"},
                  {"material", "metal"}});
  w.Leaf("site",
         {{"name", kDoorHandleSite}, {"pos", "0.15 -0.15 0"}, {"size", "0.02"}, {"group", "4"}});
  w.Close(3);
}

// the reset keyframe (D3, D5): hand pose, balls at rest with identity orientation
void BaodingKeyframe(MjcfWriter& w) {
  std::string qpos;
  for (double q : kBaodingKeyframe) qpos += (qpos.empty() ? "" : " ") + Num(q);
  for (const double* ball : {kBaodingBall1Start, kBaodingBall2Start}) {
    qpos += " " + Num({ball[0], ball[1], ball[2], 1, 0, 0, 0});
  }
  w.Open("keyframe");
  w.Leaf("key", {{"name", "reset"}, {"qpos", qpos}});
  w.Close();
}

}  // namespace

std::string HandMjcf(Task task) {
  MjcfWriter w;
  Header(w, task);
  w.Open("worldbody");
  if (task == Task::kBaoding) {
    BaodingWorld(w);
  } else {
    AdroitWorld(w);
    HandTree(w, VariantOf(task), MountOf(task));
    if (task == Task::kRelocate) RelocateObjects(w);
    if (task == Task::kDoor) DoorObjects(w);
  }
  w.Close();
  HandContacts(w);
  HandTendons(w, VariantOf(task));
  HandActuators(w, VariantOf(task), MountOf(task));
  if (task == Task::kBaoding) BaodingKeyframe(w);
  w.Close();
  return w.text();
}

}  // namespace imitate::plugins::hand
