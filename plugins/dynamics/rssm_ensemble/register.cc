// Registers the `rssm_ensemble` dynamics.
#include "imitate/sdk/registrar.h"
#include "plugins/dynamics/rssm_ensemble/rssm_ensemble.h"

IMITATE_PLUGIN(registrar) {
  registrar.Add("rssm_ensemble",
                "CMIL's RSSM: layer-norm GRU, K prior heads (one drawn per step), balanced KL, "
                "ensemble disagreement",
                imitate::plugins::RssmEnsemble::Specs(), &imitate::plugins::RssmEnsemble::Create);
}
