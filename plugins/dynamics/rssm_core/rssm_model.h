// The recurrent state-space model (RSSM) both dynamics plugins run, parameterised by options:
// a plain or layer-normalised GRU, softplus or sigmoid std, and K >= 1 prior heads.
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_RSSM_MODEL_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_RSSM_MODEL_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "imitate/sdk/dynamics.h"
#include "plugins/dynamics/rssm_core/ensemble_linear.h"
#include "plugins/dynamics/rssm_core/gaussian.h"
#include "plugins/dynamics/rssm_core/layer_norm_gru.h"

namespace imitate::plugins {

// The recurrent cell: torch::nn::GRUCell (Keras-style GRU, Dreamer v1 / V-MAIL) or
// LayerNormGruCell (DreamerV2 / CMIL).
enum class GruKind { kPlain, kLayerNorm };

// The hidden activations an RSSM can use, by the names TOML writes.
inline const std::vector<std::string>& RssmActivationNames() {
  static const std::vector<std::string> names = {"elu", "relu", "tanh"};
  return names;
}

// Sizes and options of one RSSM.
struct RssmConfig {
  int64_t embedding_size = 0;      // E
  int64_t action_size = 0;         // A
  int64_t stoch = 30;              // S
  int64_t deter = 200;             // D
  int64_t hidden = 200;            // H
  int64_t members = 1;             // K prior heads; one is drawn per step
  std::string activation = "elu";  // one of RssmActivationNames()
  GruKind gru = GruKind::kPlain;
  StdKind std = StdKind::kSoftplus;
  double min_std = 0.1;
  // Fill LatentState::uncertainty: Disagreement for ImagineStep, zeros for posteriors and
  // Initial. Off: left undefined everywhere.
  bool uncertainty = false;
};

// The networks and the step logic. Shapes: S stoch, D deter, H hidden, K members.
//
//   img:   [z_{t-1}, a_t] --> DENSE H + act = u;  h_t = GRU(u, h_{t-1})
//   prior: h_t --> (member k) DENSE H + act --> DENSE 2S --> mean, std
//   post:  [h_t, e_t] --> DENSE H + act --> DENSE 2S --> mean, std
//   z_t = mean + std * N(0, 1);  features = [z_t, h_t]
//
// Random draws (members, noise) use LibTorch's global generator. A step draws its member
// first (when K > 1), then the posterior's noise, then the prior's.
class RssmModelImpl : public torch::nn::Module {
 public:
  explicit RssmModelImpl(const RssmConfig& config);

  // ----- the Dynamics methods (see imitate/sdk/dynamics.h) ----- //

  LatentState Initial(int64_t batch_size, torch::Device device);
  // prev [B, ...], action [B, A], embedding [B, E], is_first [B]
  ObserveOutput ObserveStep(const LatentState& prev, const torch::Tensor& action,
                            const torch::Tensor& embedding, const torch::Tensor& is_first);
  // embeddings [B, T, E], actions [B, T, A], is_first [B, T], start [B, ...] (undefined: zeros)
  ObserveOutput Observe(const torch::Tensor& embeddings, const torch::Tensor& actions,
                        const torch::Tensor& is_first, const LatentState& start);
  // prev [..., ...], action [..., A]; any leading dims
  LatentState ImagineStep(const LatentState& prev, const torch::Tensor& action);
  LatentState ImagineStepMember(const LatentState& prev, const torch::Tensor& action,
                                int64_t member);
  // deter [..., D] -> [...]
  torch::Tensor Disagreement(const torch::Tensor& deter);
  torch::Tensor Features(const LatentState& state) const;

  // ----- building blocks ----- //

  // h_t from z_{t-1} [N, S], a_t [N, A] and h_{t-1} [N, D].
  torch::Tensor Recur(const torch::Tensor& stoch, const torch::Tensor& action,
                      const torch::Tensor& deter);
  // Member k's prior head: deter [..., D] -> raw [..., 2S].
  torch::Tensor PriorRaw(const torch::Tensor& deter, int64_t member);
  // Every member's prior mean, without the std half of the output layer: deter [N, D] ->
  // {hidden [K, N, H], means [K, N, S]}.
  struct AllMembers {
    torch::Tensor hidden;
    torch::Tensor means;
  };
  AllMembers PriorMeansAll(const torch::Tensor& deter);
  // The posterior: deter [..., D], embedding [..., E] -> Gaussian [..., S].
  Gaussian Posterior(const torch::Tensor& deter, const torch::Tensor& embedding);
  // A member index uniform in [0, K) (0 without a draw when K is 1).
  int64_t DrawMember() const;

  const RssmConfig& config() const { return config_; }
  torch::Device device() const { return img_in->weight.device(); }

  torch::nn::Linear img_in{nullptr};
  torch::nn::GRUCell gru{nullptr};           // GruKind::kPlain
  LayerNormGruCell layer_norm_gru{nullptr};  // GruKind::kLayerNorm
  EnsembleLinear prior_hidden{nullptr};      // K x (D -> H)
  EnsembleLinear prior_out{nullptr};         // K x (H -> 2S)
  torch::nn::Linear post_hidden{nullptr};    // D + E -> H
  torch::nn::Linear post_out{nullptr};       // H -> 2S

 private:
  torch::Tensor Act(const torch::Tensor& x) const;
  torch::Tensor Cell(const torch::Tensor& x, const torch::Tensor& deter);
  // Prior heads over a filtered sequence h [B, T, D] with member `members[t]` at step t:
  // timesteps are grouped by member so that each member runs once -> raw [B, T, 2S].
  torch::Tensor PriorRawSteps(const torch::Tensor& deter, const std::vector<int64_t>& members);
  // A prior state from its raw head output and deter (the stoch is sampled).
  LatentState PriorState(const torch::Tensor& raw, const torch::Tensor& deter) const;

  RssmConfig config_;
  int activation_ = 0;  // index into RssmActivationNames()
};
TORCH_MODULE(RssmModel);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_RSSM_MODEL_H_
