// Registers the `vmail` optimizer.
#include "imitate/sdk/registrar.h"
#include "plugins/optimizers/vmail/vmail_optimizer.h"

IMITATE_PLUGIN(registrar) {
  registrar
      .Add("vmail",
           "V-MAIL: online adversarial imitation in a learned world model, the actor trained "
           "through the dynamics on discriminator rewards",
           imitate::plugins::VmailOptimizer::Specs(), &imitate::plugins::VmailOptimizer::Create)
      .Requires({"encoder", "dynamics", "reward"});
}
