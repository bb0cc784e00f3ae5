// Registers the `world_model` optimizer.
#include "imitate/sdk/registrar.h"
#include "plugins/optimizers/world_model/world_model_optimizer.h"

IMITATE_PLUGIN(registrar) {
  registrar
      .Add("world_model",
           "Trains only the world model (encoder, decoder, dynamics); acts uniformly at random",
           imitate::plugins::WorldModelOptimizer::Specs(),
           &imitate::plugins::WorldModelOptimizer::Create)
      .Requires({"encoder", "dynamics"});
}
