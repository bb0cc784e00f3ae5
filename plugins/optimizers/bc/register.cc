// Registers the `bc` optimizer.
#include "imitate/sdk/registrar.h"
#include "plugins/optimizers/bc/bc_optimizer.h"

IMITATE_PLUGIN(registrar) {
  registrar
      .Add("bc", "Behaviour cloning of the demos with a tanh-Gaussian actor",
           imitate::plugins::BcOptimizer::Specs(), &imitate::plugins::BcOptimizer::Create)
      .Requires({"encoder"});
}
