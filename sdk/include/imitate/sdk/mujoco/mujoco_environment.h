// An optional richer environment contract: a MuJoCo environment that exposes its simulator.
#ifndef IMITATE_SDK_MUJOCO_MUJOCO_ENVIRONMENT_H_
#define IMITATE_SDK_MUJOCO_MUJOCO_ENVIRONMENT_H_

#include <mujoco/mujoco.h>

#include "imitate/sdk/environment.h"

namespace imitate {

// Implemented by environments simulated with MuJoCo. Experts read privileged state through
// it (positions, Jacobians on a copy of the model), and benchmarks time raw physics against
// the environment's step. Reach it with dynamic_cast<MujocoEnvironment*>(&env).
class IMITATE_EXPORT MujocoEnvironment : public Environment {
 public:
  ~MujocoEnvironment() override;

  // The simulated model (owned by the environment, alive as long as it is).
  virtual const mjModel* Model() const = 0;

  // The current simulator state (owned by the environment; changed by Reset/Step/SetState).
  virtual const mjData* Data() const = 0;

  // Physics steps per control step.
  virtual int FrameSkip() const = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_MUJOCO_MUJOCO_ENVIRONMENT_H_
