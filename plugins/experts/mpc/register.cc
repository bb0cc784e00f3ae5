// Registers the mpc expert with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/experts/mpc/mpc_expert.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::mpc::MpcExpert;
  registrar.Add("mpc", "Sampling-based MPC (PDDM's MPPI) on copies of any PlanningEnvironment",
                MpcExpert::Specs(), &MpcExpert::Create);
}
