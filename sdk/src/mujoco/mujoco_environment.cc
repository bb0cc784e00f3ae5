#include "imitate/sdk/mujoco/mujoco_environment.h"

namespace imitate {

// key function: the vtable and typeinfo live in libimitate_sdk_mujoco, so dynamic_cast works
// across plugin libraries
MujocoEnvironment::~MujocoEnvironment() = default;

}  // namespace imitate
