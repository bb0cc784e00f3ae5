// Registers the `rssm` dynamics.
#include "imitate/sdk/registrar.h"
#include "plugins/dynamics/rssm/rssm.h"

IMITATE_PLUGIN(registrar) {
  registrar.Add("rssm",
                "Recurrent state-space model (Dreamer v1 / V-MAIL): GRU, Gaussian latents, "
                "free-nats KL",
                imitate::plugins::Rssm::Specs(), &imitate::plugins::Rssm::Create);
}
