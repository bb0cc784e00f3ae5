// Registers the point_mass expert with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/experts/point_mass/point_mass_expert.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::point_mass::PointMassExpert;
  registrar.Add("point_mass", "A scripted PD controller that drives point_mass to its target",
                PointMassExpert::Specs(), &PointMassExpert::Create);
}
