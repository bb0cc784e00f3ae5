// Registers the `discriminator` reward learner.
#include "imitate/sdk/registrar.h"
#include "plugins/reward_learners/discriminator/discriminator.h"

IMITATE_PLUGIN(registrar) {
  registrar.Add("discriminator",
                "GAIL-style latent (features, action) discriminator with instance noise and an "
                "optional gradient penalty; reward sigmoid(D)",
                imitate::plugins::Discriminator::Specs(), &imitate::plugins::Discriminator::Create);
}
