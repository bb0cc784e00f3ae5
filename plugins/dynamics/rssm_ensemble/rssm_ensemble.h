// The `rssm_ensemble` dynamics: CMIL's RSSM with an ensemble of prior heads.
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_ENSEMBLE_RSSM_ENSEMBLE_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_ENSEMBLE_RSSM_ENSEMBLE_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/params.h"
#include "plugins/dynamics/rssm_core/rssm_dynamics.h"

namespace imitate::plugins {

// A DreamerV2-style RSSM (layer-normalised GRU, sigmoid std, KL balancing) whose prior is an
// ensemble of K heads; the input layer, GRU and posterior are shared.
//
//   u = act(DENSE [z_{t-1}, a_t]);  h_t = LN-GRU(u, h_{t-1})
//   prior k ~ U{0..K-1} per step:  h_t --> DENSE_k + act --> DENSE_k 2S --> mean, std
//   posterior:  [h_t, e_t] --> DENSE + act --> DENSE 2S --> mean, std;  std = 2 sigmoid(raw/2) +
//   min uncertainty(h) = mean over S of std over k of mean_k(h)
class RssmEnsemble final : public RssmDynamics<EnsembleDynamics> {
 public:
  // The declared parameters of the [dynamics] table.
  static ParamSpecs Specs();

  // Makes an unbuilt model; throws ConfigError for values the specs cannot check.
  static std::unique_ptr<EnsembleDynamics> Create(const Params& params);

  explicit RssmEnsemble(const Params& params);

  int64_t Members() const override { return config().members; }
  LatentState ImagineStepMember(const LatentState& prev, const torch::Tensor& action,
                                int64_t member) override;
  torch::Tensor Disagreement(const torch::Tensor& deter) override;
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_ENSEMBLE_RSSM_ENSEMBLE_H_
