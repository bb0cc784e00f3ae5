// Registers the `cmil` optimizer.
#include "imitate/sdk/registrar.h"
#include "plugins/optimizers/cmil/cmil_optimizer.h"

IMITATE_PLUGIN(registrar) {
  registrar
      .Add("cmil",
           "Conservative model-based imitation: world model + ensemble-penalised discriminator "
           "reward, twin critics, BC-regularised actor",
           imitate::plugins::CmilOptimizer::Specs(), &imitate::plugins::CmilOptimizer::Create)
      .Requires({"encoder", "dynamics", "reward"});
}
