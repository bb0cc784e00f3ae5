// Registers the kitchen environment with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/environments/kitchen/kitchen.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::kitchen::Kitchen;
  registrar.Add("kitchen",
                "Franka Kitchen look-alike (D4RL kitchen): a Panda arm and seven kitchen tasks",
                Kitchen::Specs(), &Kitchen::Create);
}
