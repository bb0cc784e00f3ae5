// An optional environment contract for planners: copies of the environment to roll out on.
#ifndef IMITATE_SDK_PLANNING_H_
#define IMITATE_SDK_PLANNING_H_

#include <memory>

#include "imitate/sdk/abi.h"
#include "imitate/sdk/environment.h"

namespace imitate {

// Implemented (next to Environment) by environments a sampling-based planner such as the `mpc`
// expert can search with. Reach it with dynamic_cast<const PlanningEnvironment*>(&env).
//
// The planner's contract: a copy accepts SetState(original.GetState()) and then Step gives what
// the original would; its TimeStep::reward is the task's dense score the planner maximises; a
// terminal step (is_terminal) is absorbing, and planners repeat its reward for the rest of
// their horizon (so a drop penalty keeps counting, as PDDM's cost does).
class IMITATE_EXPORT PlanningEnvironment {
 public:
  virtual ~PlanningEnvironment();

  // A new, independent environment with this one's parameters and task, for rollouts on another
  // thread. It needs to observe only what its reward needs: it may skip pixels and rendering.
  // Its episode starts where SetState puts it (Reset is not required before SetState).
  virtual std::unique_ptr<Environment> CloneForPlanning() const = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_PLANNING_H_
