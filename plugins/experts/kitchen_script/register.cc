// Registers the kitchen_script expert with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/experts/kitchen_script/kitchen_script_expert.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::kitchen_script::KitchenScriptExpert;
  registrar.Add("kitchen_script",
                "A waypoint controller with damped-least-squares IK for the kitchen tasks",
                KitchenScriptExpert::Specs(), &KitchenScriptExpert::Create);
}
