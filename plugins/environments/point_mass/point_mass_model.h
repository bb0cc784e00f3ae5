// The point_mass MJCF model and the layout of the environment's state vector, shared with the
// point_mass expert (plugins/experts/point_mass).
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_POINT_MASS_POINT_MASS_MODEL_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_POINT_MASS_POINT_MASS_MODEL_H_

namespace imitate::plugins::point_mass {

// The MJCF text of the arena: a 0.6 x 0.6 m floor with low walls, a sphere on slide joints
// `x` and `y` driven by motors `ax` and `ay` (ctrl in [-1, 1]), a mocap target, and the
// cameras "top" (straight down, +x right and +y up in the image) and "angled".
extern const char* const kModelXml;

// Names of the model's cameras; the first is the default.
inline constexpr const char* kCameraNames[] = {"top", "angled"};

// Layout of the SimState of GetState/SetState (doubles). The model has nq = nv = nu = 2 and
// na = 0, so the `act` block is empty.
inline constexpr int kStateTime = 0;       // simulation time, s
inline constexpr int kStateQpos = 1;       // mass x, y (m)
inline constexpr int kStateQvel = 3;       // mass vx, vy (m/s)
inline constexpr int kStateAct = 5;        // actuator activations (none)
inline constexpr int kStateCtrl = 5;       // last controls (clipped actions)
inline constexpr int kStateWarmstart = 7;  // solver warm start (qacc_warmstart), nv values
inline constexpr int kStateTarget = 9;     // target x, y (m)
inline constexpr int kStateStep = 11;      // control steps taken in this episode
inline constexpr int kStateEnded = 12;     // 1 when the episode has ended, else 0
inline constexpr int kStateSize = 13;

// Layout of the `state` observation (float32 [6]).
inline constexpr int kObsPos = 0;     // mass x, y
inline constexpr int kObsVel = 2;     // mass vx, vy
inline constexpr int kObsTarget = 4;  // target x, y
inline constexpr int kObsSize = 6;

}  // namespace imitate::plugins::point_mass

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_POINT_MASS_POINT_MASS_MODEL_H_
