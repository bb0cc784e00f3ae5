// The MJCF builder: the hand's kinematic tree is shared, and everything that differs between
// the Adroit hand (B2-B4) and the Baoding hand (D2-D4) is a row of data (HandVariant); mounts
// (arm joints) and task objects are data too (hand_scenes.cc).
#include "plugins/environments/hand/hand_model.h"

#include <string>

#include "imitate/sdk/errors.h"
#include "plugins/environments/hand/hand_builder.h"

namespace imitate::plugins::hand {

// ----- the data ----- //

// the distal segments' collision geoms and their fingertip pads (a null pad type: no pad)
struct DistalSpec {
  GeomSpec finger;      // index, middle, ring, little distal (condim 4)
  GeomSpec finger_pad;  // palm-side pad of a finger distal
  GeomSpec thumb;       // thumb distal (condim 4)
  GeomSpec thumb_pad;
};

// one hand variant: what the Adroit and Baoding hands do not share
struct HandVariant {
  double wrist_offset;         // wrist body along the forearm's z (m)
  Vec3 forearm_com;            // forearm centre of mass
  GeomSpec forearm;            // forearm collision geom
  DistalSpec distal;           // distal capsules and pads
  Vec3 friction;               // hand geoms' friction
  double wrist_kp, finger_kp;  // servo gains (force = kp ctrl - kp q)
  double wrist_ctrl_low[2], wrist_ctrl_high[2];
  bool coupling;         // DIP-PIP coupling tendons (Adroit only)
  const char* material;  // the hand's visual material
};

namespace {

// B2-B4: the DAPG hand
const HandVariant kAdroit = {0.396,
                             {0, 0, 0.29},
                             {"capsule", {0.05, 0.033, 0}, {0, 0, 0.29}, {0, 0, 0}, 3},
                             {{"capsule", {0.00705, 0.012, 0}, {0, 0, 0.012}, {0, 0, 0}, 4},
                              {},
                              {"capsule", {0.00918, 0.013, 0}, {0, 0, 0.013}, {0, 0, 0}, 4},
                              {}},
                             {1, 0.5, 0.01},
                             10,
                             1,
                             {kAdroitWristCtrlLow[0], kAdroitWristCtrlLow[1]},
                             {kAdroitWristCtrlHigh[0], kAdroitWristCtrlHigh[1]},
                             true,
                             "adroit_hand"};

// D2-D4: the PDDM ShadowHand (forearm hull and tactile pads as primitives of their bounds)
const HandVariant kBaoding = {
    0.256,
    {0.001, -0.002, 0.29},
    {"box", {0.068, 0.068, 0.114}, {0, -0.010, 0.154}, {0, 0, 0}, 3},
    {{"capsule", {0.0075, 0.011, 0}, {0, -0.003, 0.012}, {0.35, 0, 0}, 4},
     {"ellipsoid", {0.0099, 0.0059, 0.0141}, {0, -0.0115, 0.0178}, {0, 0, 0}, 3},
     {"capsule", {0.010, 0.010, 0}, {-0.004, 0, 0.0121}, {0, -0.35, 0}, 4},
     {"ellipsoid", {0.0059, 0.0099, 0.0141}, {-0.0115, 0, 0.0178}, {0, 0, 0}, 3}},
    {1, 0.005, 0.001},
    5,
    1,
    {kHandCtrlLow[0], kHandCtrlLow[1]},
    {kHandCtrlHigh[0], kHandCtrlHigh[1]},
    false,
    "baoding_hand"};

// the four fingers: name prefix, knuckle position in the palm (little: in its metacarpal)
struct FingerSpec {
  const char* prefix;
  const char* joint;  // joint-name prefix (FF, MF, RF, LF)
  Vec3 knuckle;
};
const FingerSpec kFingers[4] = {{"ff", "FF", {0.033, 0, 0.095}},
                                {"mf", "MF", {0.011, 0, 0.099}},
                                {"rf", "RF", {-0.011, 0, 0.095}},
                                {"lf", "LF", {-0.017, 0, 0.044}}};

// the explicit frictionless hand-hand contact pairs (D3; the original lists ring-little distal
// twice, and so do we)
const char* const kContactPairs[][2] = {
    {"C_thdistal", "C_ffdistal"},     {"C_thdistal", "C_ffmiddle"},
    {"C_thdistal", "C_ffproximal"},   {"C_thdistal", "C_mfproximal"},
    {"C_thdistal", "C_mfdistal"},     {"C_thdistal", "C_rfdistal"},
    {"C_thdistal", "C_lfdistal"},     {"C_thdistal", "C_palm0"},
    {"C_ffproximal", "C_mfproximal"}, {"C_mfproximal", "C_rfproximal"},
    {"C_rfproximal", "C_lfproximal"}, {"C_ffdistal", "C_mfdistal"},
    {"C_mfdistal", "C_rfdistal"},     {"C_rfdistal", "C_lfdistal"},
    {"C_rfdistal", "C_lfdistal"},     {"C_mfdistal", "C_lfdistal"},
    {"C_lfmiddle", "C_rfdistal"},     {"C_lfmiddle", "C_rfmiddle"},
    {"C_lfdistal", "C_rfmiddle"}};

// joint-table lookups by name
int HandIndex(const std::string& joint) {
  for (int i = 0; i < kHandDofs; ++i) {
    if (joint == kHandJoints[i]) return i;
  }
  throw InternalError("hand: unknown joint " + joint);
}

// ----- the hand tree ----- //

// a hand joint with its table range
void HandJoint(MjcfWriter& w, const std::string& name, const Vec3& axis,
               const char* cls = nullptr) {
  const int i = HandIndex(name);
  w.Leaf("joint", {{"name", name},
                   {"class", cls ? cls : ""},
                   {"axis", Num(axis)},
                   {"range", Num({kHandJointLow[i], kHandJointHigh[i]})}});
}

// inertial with diagonal inertia `inertia`
void Inertial(MjcfWriter& w, const Vec3& com, double mass, double inertia) {
  w.Leaf(
      "inertial",
      {{"pos", Num(com)}, {"mass", Num(mass)}, {"diaginertia", Num({inertia, inertia, inertia})}});
}

// knuckle -> proximal -> middle -> distal of one finger (B2/D3)
void Finger(MjcfWriter& w, const HandVariant& v, const FingerSpec& f) {
  const std::string p = f.prefix, j = f.joint;
  w.Open("body", {{"name", p + "knuckle"}, {"pos", Num(f.knuckle)}});
  Inertial(w, {0, 0, 0}, 0.008, 1e-5);
  HandJoint(w, j + "J3", {0, 1, 0});
  w.Open("body", {{"name", p + "proximal"}});
  Inertial(w, {0, 0, 0.0225}, 0.014, 1e-5);
  HandJoint(w, j + "J2", {1, 0, 0});
  Geom(w, "C_" + p + "proximal", {"capsule", {0.01, 0.0225, 0}, {0, 0, 0.0225}, {0, 0, 0}, 3});
  w.Open("body", {{"name", p + "middle"}, {"pos", "0 0 0.045"}});
  Inertial(w, {0, 0, 0.0125}, 0.012, 1e-5);
  HandJoint(w, j + "J1", {1, 0, 0});
  Geom(w, "C_" + p + "middle", {"capsule", {0.00805, 0.0125, 0}, {0, 0, 0.0125}, {0, 0, 0}, 3});
  w.Open("body", {{"name", p + "distal"}, {"pos", "0 0 0.025"}});
  Inertial(w, {0, 0, 0.012}, 0.010, 1e-5);
  HandJoint(w, j + "J0", {1, 0, 0});
  Geom(w, "C_" + p + "distal", v.distal.finger);
  if (v.distal.finger_pad.type) Geom(w, "C_" + p + "pad", v.distal.finger_pad, "pad");
  w.Leaf("site", {{"name", "S_" + p + "tip"}, {"pos", "0 0 0.026"}, {"class", "marker"}});
  w.Close(4);
}

// thbase -> thproximal -> thhub -> thmiddle -> thdistal (B2/D3)
void Thumb(MjcfWriter& w, const HandVariant& v) {
  w.Open("body", {{"name", "thbase"}, {"pos", "0.034 -0.009 0.029"}, {"euler", "0 0.785 0"}});
  Inertial(w, {0, 0, 0}, 0.010, 1e-5);
  HandJoint(w, "THJ4", {0, 0, -1});
  w.Open("body", {{"name", "thproximal"}});
  Inertial(w, {0, 0, 0.019}, 0.016, 1e-5);
  HandJoint(w, "THJ3", {1, 0, 0});
  Geom(w, "C_thproximal", {"capsule", {0.013, 0.019, 0}, {0, 0, 0.019}, {0, 0, 0}, 3});
  w.Open("body", {{"name", "thhub"}, {"pos", "0 0 0.038"}});
  Inertial(w, {0, 0, 0}, 0.002, 1e-5);
  HandJoint(w, "THJ2", {1, 0, 0});
  w.Open("body", {{"name", "thmiddle"}});
  Inertial(w, {0, 0, 0.016}, 0.016, 1e-5);
  HandJoint(w, "THJ1", {0, 1, 0});
  Geom(w, "C_thmiddle", {"capsule", {0.011, 0.016, 0}, {0, 0, 0.016}, {0, 0, 0}, 3});
  w.Open("body", {{"name", "thdistal"}, {"pos", "0 0 0.032"}});
  Inertial(w, {0, 0, 0.013}, 0.016, 1e-5);
  HandJoint(w, "THJ0", {0, 1, 0});
  Geom(w, "C_thdistal", v.distal.thumb);
  if (v.distal.thumb_pad.type) Geom(w, "C_thpad", v.distal.thumb_pad, "pad");
  w.Leaf("site", {{"name", "S_thtip"}, {"pos", "0 0 0.0275"}, {"class", "marker"}});
  w.Close(5);
}

}  // namespace

// the forearm (with the mount's arm joints) and the hand below it; the caller has opened the
// forearm's parent
void HandTree(MjcfWriter& w, const HandVariant& v, const Mount& mount) {
  w.Open("body", {{"name", "forearm"},
                  {"childclass", "hand"},
                  {"pos", Num(mount.forearm_pos)},
                  {"euler", mount.has_euler ? Num(mount.forearm_euler) : std::string()}});
  w.Leaf("inertial",
         {{"pos", Num(v.forearm_com)}, {"mass", "4"}, {"diaginertia", "0.02 0.02 0.01"}});
  for (const ArmJoint& a : mount.joints) {
    w.Leaf("joint", {{"name", a.name},
                     {"class", "arm"},
                     {"type", a.slide ? "slide" : "hinge"},
                     {"axis", Num(a.axis)},
                     {"range", Num({a.low, a.high})}});
  }
  Geom(w, "C_forearm", v.forearm);
  // wrist and palm
  w.Open("body", {{"name", "wrist"}, {"pos", Num({0, 0, v.wrist_offset})}});
  Inertial(w, {0, 0, 0}, 0.3, 1e-3);
  HandJoint(w, "WRJ1", {0, 1, 0}, "wrist");
  Geom(w, "C_wrist", {"capsule", {0.015, 0.01, 0}, {0, 0, 0}, {1.5708, 0, 0}, 3});
  w.Open("body", {{"name", "palm"}, {"pos", "0 0 0.034"}});
  w.Leaf("inertial",
         {{"pos", "0.006 0 0.036"}, {"mass", "0.3"}, {"diaginertia", "1e-3 1e-3 1e-3"}});
  HandJoint(w, "WRJ0", {1, 0, 0}, "wrist");
  Geom(w, "C_palm0", {"box", {0.032, 0.0111, 0.049}, {0.011, 0, 0.038}, {0, 0, 0}, 3});
  Geom(w, "C_palm1", {"box", {0.011, 0.0111, 0.025}, {-0.032, 0, 0.014}, {0, 0, 0}, 3});
  w.Leaf("site", {{"name", kPalmSite}, {"pos", "0.007 -0.05 0.07"}, {"class", "marker"}});
  // fingers; the little finger sits on its metacarpal
  for (int f = 0; f < 3; ++f) Finger(w, v, kFingers[f]);
  w.Open("body", {{"name", "lfmetacarpal"}, {"pos", "-0.017 0 0.044"}});
  Inertial(w, {-0.0165, 0, 0.01}, 0.075, 1e-5);
  HandJoint(w, "LFJ4", {0.571, 0, 0.821});
  Geom(w, "C_lfmetacarpal", {"box", {0.0095, 0.0111, 0.025}, {-0.0165, 0, 0.01}, {0, 0, 0}, 3});
  Finger(w, v, kFingers[3]);
  w.Close();
  Thumb(w, v);
  w.Close(3);  // palm, wrist, forearm
}

// defaults, contact pairs, tendons and actuators of the hand (the parts outside <worldbody>)
void HandDefaults(MjcfWriter& w, const HandVariant& v) {
  w.Open("default", {{"class", "hand"}});
  w.Leaf("joint", {{"limited", "true"},
                   {"margin", "0.01"},
                   {"armature", "0.001"},
                   {"damping", "0.05"},
                   {"frictionloss", "0.001"}});
  w.Leaf("geom", {{"contype", "1"},
                  {"conaffinity", "0"},
                  {"friction", Num(v.friction)},
                  {"margin", "0.0005"},
                  {"group", "1"},
                  {"material", v.material}});
  w.Leaf("site", {{"group", "4"}, {"size", "0.005"}, {"rgba", "1 0 0 1"}});
  w.Leaf("general", {{"ctrllimited", "true"}, {"biastype", "affine"}});
  w.Open("default", {{"class", "wrist"}});
  w.Leaf("joint", {{"armature", "0.005"}, {"damping", "0.5"}});
  w.Close();
  w.Open("default", {{"class", "arm"}});
  w.Leaf("joint", {{"damping", "20"}});
  w.Close();
  w.Open("default", {{"class", "pad"}});
  w.Leaf("geom", {{"material", "pad"}});
  w.Close();
  w.Open("default", {{"class", "marker"}});
  w.Leaf("site", {{"group", "4"}});
  w.Close();
  w.Close();
}

void HandContacts(MjcfWriter& w) {
  w.Open("contact");
  for (const auto& pair : kContactPairs) {
    w.Leaf("pair", {{"geom1", pair[0]}, {"geom2", pair[1]}, {"condim", "1"}});
  }
  w.Close();
}

// B2 (i): J0 follows 1.14 J1 within about +-0.14 rad
void HandTendons(MjcfWriter& w, const HandVariant& v) {
  if (!v.coupling) return;
  w.Open("tendon");
  for (int f = 0; f < 4; ++f) {
    const std::string j = kFingers[f].joint;
    w.Open("fixed", {{"name", "T_" + j + "J1c"}, {"limited", "true"}, {"range", "-0.001 0.001"}});
    w.Leaf("joint", {{"joint", j + "J0"}, {"coef", "0.00705"}});
    w.Leaf("joint", {{"joint", j + "J1"}, {"coef", "-0.00805"}});
    w.Close();
  }
  w.Close();
}

// affine servos: force = gain ctrl + bias q (B4, D4); arm servos first, in qpos order
void HandActuators(MjcfWriter& w, const HandVariant& v, const Mount& mount) {
  w.Open("actuator");
  for (const ArmJoint& a : mount.joints) {
    w.Leaf("general", {{"name", "A_" + a.name},
                       {"class", "hand"},
                       {"joint", a.name},
                       {"ctrlrange", Num({a.low, a.high})},
                       {"gainprm", "500"},
                       {"biasprm", "0 -200 0"}});
  }
  for (int i = 0; i < kHandDofs; ++i) {
    const double kp = i < 2 ? v.wrist_kp : v.finger_kp;
    const double lo = i < 2 ? v.wrist_ctrl_low[i] : kHandCtrlLow[i];
    const double hi = i < 2 ? v.wrist_ctrl_high[i] : kHandCtrlHigh[i];
    w.Leaf("general", {{"name", std::string("A_") + kHandJoints[i]},
                       {"class", "hand"},
                       {"joint", kHandJoints[i]},
                       {"ctrlrange", Num({lo, hi})},
                       {"gainprm", Num(kp)},
                       {"biasprm", Num({0, -kp, 0})}});
  }
  w.Close();
}

const HandVariant& VariantOf(Task task) { return task == Task::kBaoding ? kBaoding : kAdroit; }

Task TaskFromName(const std::string& name, const std::string& parameter) {
  for (int t = 0; t < kNumTasks; ++t) {
    if (name == kTaskNames[t]) return static_cast<Task>(t);
  }
  throw ConfigError(parameter + ": unknown hand task '" + name +
                    "' (expected baoding, relocate or door)");
}

mujoco::MjModelPtr LoadHandModel(Task task) {
  const int t = static_cast<int>(task);
  mujoco::MjModelPtr model =
      mujoco::LoadModelFromString(HandMjcf(task), std::string("hand_") + kTaskNames[t] + ".xml");
  IMITATE_CHECK(model->nq == kTaskNq[t] && model->nv == kTaskNv[t] && model->nu == kTaskNu[t] &&
                    model->na == 0,
                std::string("hand: the ") + kTaskNames[t] + " model does not match hand_layout.h");
  return model;
}

}  // namespace imitate::plugins::hand
