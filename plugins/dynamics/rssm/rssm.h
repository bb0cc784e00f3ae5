// The `rssm` dynamics: the Dreamer v1 RSSM as V-MAIL uses it.
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_RSSM_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_RSSM_H_

#include <memory>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/params.h"
#include "plugins/dynamics/rssm_core/rssm_dynamics.h"

namespace imitate::plugins {

// A recurrent state-space model with a Keras/torch-style GRU, one prior head, softplus std and
// KL(posterior || prior) with free nats. LatentState::uncertainty is left undefined.
//
//   u = act(DENSE [z_{t-1}, a_t]);  h_t = GRU(u, h_{t-1})
//   prior p(z_t | h_t):     h_t      --> DENSE + act --> DENSE 2S --> mean, softplus + min_std
//   posterior q(z_t | ..):  [h_t, e_t] --> DENSE + act --> DENSE 2S --> mean, softplus + min_std
class Rssm final : public RssmDynamics<Dynamics> {
 public:
  // The declared parameters of the [dynamics] table.
  static ParamSpecs Specs();

  // Makes an unbuilt model; throws ConfigError for values the specs cannot check.
  static std::unique_ptr<Dynamics> Create(const Params& params);

  explicit Rssm(const Params& params);
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_RSSM_H_
