// Registers the point_mass environment with the engine.
#include "imitate/sdk/registrar.h"
#include "plugins/environments/point_mass/point_mass.h"

IMITATE_PLUGIN(registrar) {
  using imitate::plugins::point_mass::PointMass;
  registrar.Add("point_mass", "A 2-D point mass that must reach a random target",
                PointMass::Specs(), &PointMass::Create);
}
