// The hand environment's MuJoCo models, written as MJCF by a C++ builder from data tables: one
// kinematic tree (the 24-DoF hand of envs.md B2/D3) in two variants (Adroit for relocate and
// door, Baoding), a mount per task and the task objects. No original XML or mesh is used.
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_MODEL_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_MODEL_H_

#include <string>

#include "imitate/sdk/mujoco/model.h"
#include "plugins/environments/hand/hand_layout.h"

namespace imitate::plugins::hand {

// The task named `name` ("baoding", "relocate", "door"); ConfigError naming `parameter`
// otherwise.
Task TaskFromName(const std::string& name, const std::string& parameter = "task");

// The MJCF text of a task's scene (opens in MuJoCo's viewer; `hand_mjcf TASK` prints it).
std::string HandMjcf(Task task);

// Compiles the task's scene and checks its sizes against hand_layout.h (InternalError when
// they differ).
mujoco::MjModelPtr LoadHandModel(Task task);

}  // namespace imitate::plugins::hand

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_MODEL_H_
