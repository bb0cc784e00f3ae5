// Internals of the MJCF builder shared by hand_model.cc (the hand) and hand_scenes.cc (mounts,
// task objects, whole scenes): a small XML writer and the data rows the builder reads.
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_BUILDER_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_BUILDER_H_

#include <array>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "plugins/environments/hand/hand_layout.h"

namespace imitate::plugins::hand {

using Vec3 = std::array<double, 3>;

// numbers as MJCF writes them (shortest of 6 significant digits), space separated
std::string Num(double v);
std::string Num(std::initializer_list<double> v);
std::string Num(const Vec3& v);

// Writes indented MJCF. Attributes with an empty value are left out.
class MjcfWriter {
 public:
  using Attrs = std::vector<std::pair<std::string, std::string>>;
  // <tag attrs> ... (until Close)
  void Open(const std::string& tag, const Attrs& attrs = {});
  // <tag attrs/>
  void Leaf(const std::string& tag, const Attrs& attrs = {});
  // closes the `n` innermost open elements
  void Close(int n = 1);
  // <!-- text -->
  void Comment(const std::string& text);
  // the text written so far (every element closed)
  const std::string& text() const { return out_; }

 private:
  void Tag(const std::string& tag, const Attrs& attrs, bool leaf);
  std::string out_;
  std::vector<std::string> open_;
};

// one geom: type, MuJoCo size, position and Euler angles in the body frame, condim
struct GeomSpec {
  const char* type = nullptr;
  Vec3 size{};
  Vec3 pos{};
  Vec3 euler{};
  int condim = 3;
};
// <geom name=... .../> with an optional default class
void Geom(MjcfWriter& w, const std::string& name, const GeomSpec& g, const char* cls = nullptr);

// an arm joint at the forearm origin (B3): axis in the forearm frame
struct ArmJoint {
  std::string name;
  bool slide;
  Vec3 axis;
  double low, high;
};
// where the forearm sits in its parent and which arm joints move it
struct Mount {
  Vec3 forearm_pos;
  bool has_euler;
  Vec3 forearm_euler;
  std::vector<ArmJoint> joints;
};

// the variant of the hand a task uses (hand_model.cc)
struct HandVariant;
const HandVariant& VariantOf(Task task);

// the parts of the hand: defaults (inside <default>), the tree (inside the forearm's parent),
// and the <contact>, <tendon> and <actuator> sections
void HandDefaults(MjcfWriter& w, const HandVariant& v);
void HandTree(MjcfWriter& w, const HandVariant& v, const Mount& mount);
void HandContacts(MjcfWriter& w);
void HandTendons(MjcfWriter& w, const HandVariant& v);
void HandActuators(MjcfWriter& w, const HandVariant& v, const Mount& mount);

}  // namespace imitate::plugins::hand

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_BUILDER_H_
