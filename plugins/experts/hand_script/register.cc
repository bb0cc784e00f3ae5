// Registers the hand_script expert with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/experts/hand_script/hand_script_expert.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::hand_script::HandScriptExpert;
  registrar.Add(
      "hand_script",
      "A scripted grasp-lift-carry state machine for the hand environment's relocate task",
      HandScriptExpert::Specs(), &HandScriptExpert::Create);
}
