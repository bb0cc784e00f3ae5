// Registers the hand environment with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/environments/hand/hand.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::hand::Hand;
  registrar.Add("hand",
                "24-DoF dexterous hand: Baoding balls (PDDM/CMIL) and Adroit relocate and door",
                Hand::Specs(), &Hand::Create);
}
