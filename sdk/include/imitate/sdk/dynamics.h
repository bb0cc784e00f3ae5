// Extension point: the latent world-model core (an RSSM) and its ensemble variant.
#ifndef IMITATE_SDK_DYNAMICS_H_
#define IMITATE_SDK_DYNAMICS_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>

#include "imitate/sdk/plugin.h"
#include "imitate/sdk/spaces.h"

namespace imitate {

// A latent state; every tensor has the same leading dims ([B] for one step, [B, T] stacked).
struct IMITATE_EXPORT LatentState {
  torch::Tensor deter;  // deterministic (recurrent) state [..., D]
  torch::Tensor stoch;  // sampled stochastic state [..., S]
  torch::Tensor mean;   // mean of the distribution `stoch` was drawn from [..., S]
  torch::Tensor std;    // its standard deviation [..., S]
  // Epistemic uncertainty of a prior step (ensemble disagreement) [...]; undefined when the
  // model has no ensemble, zero for posterior states.
  torch::Tensor uncertainty;

  // A copy with every tensor detached from the autograd graph.
  LatentState Detach() const;
};

// Posterior and prior of a filtered sequence, each stacked [B, T, ...].
struct IMITATE_EXPORT ObserveOutput {
  LatentState posterior;
  LatentState prior;
};

// The KL term of the world-model loss.
struct IMITATE_EXPORT KlOutput {
  torch::Tensor loss;   // scalar to minimise (balancing and free nats applied)
  torch::Tensor value;  // raw KL(posterior || prior) per step [B, T], for logging
};

// A recurrent latent dynamics model. Actions follow the Dreamer convention: action[t] is the
// one that led to observation t.
class IMITATE_EXPORT Dynamics : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kDynamics;
  ~Dynamics() override;

  // Builds the networks for embeddings of size E and actions of size A.
  virtual void Build(int64_t embedding_size, int64_t action_size) = 0;

  // Size F of Features(); valid right after construction (it depends on params only), so
  // that the engine can build the encoder's decoder before the dynamics.
  virtual int64_t FeatureSize() const = 0;

  // The zero state for a batch of `batch_size` on `device`.
  virtual LatentState Initial(int64_t batch_size, torch::Device device) = 0;

  // One filtering step: from `prev` and the action that led here, with the embedding of the
  // new observation. Where `is_first` [B] is true the state is reset first.
  virtual ObserveOutput ObserveStep(const LatentState& prev, const torch::Tensor& action,
                                    const torch::Tensor& embedding,
                                    const torch::Tensor& is_first) = 0;

  // Filters whole sequences: embeddings [B, T, E], actions [B, T, A], is_first [B, T].
  virtual ObserveOutput Observe(const torch::Tensor& embeddings, const torch::Tensor& actions,
                                const torch::Tensor& is_first, const LatentState& start) = 0;

  // One imagination (prior) step: `action` [B, A] taken from `prev`.
  virtual LatentState ImagineStep(const LatentState& prev, const torch::Tensor& action) = 0;

  // The feature vector actors, critics, rewards and decoders read: [..., F].
  virtual torch::Tensor Features(const LatentState& state) = 0;

  // The KL term between posterior and prior sequences.
  virtual KlOutput KlLoss(const LatentState& posterior, const LatentState& prior) = 0;

  // The trainable module, for optimisers and checkpoints.
  virtual std::shared_ptr<torch::nn::Module> Module() = 0;
};

// A dynamics model with an ensemble of prior heads. ImagineStep draws one member uniformly
// (shared across the batch) and fills `uncertainty` with Disagreement of the new state.
class IMITATE_EXPORT EnsembleDynamics : public Dynamics {
 public:
  ~EnsembleDynamics() override;

  // Number of ensemble members K.
  virtual int64_t Members() const = 0;

  // One imagination step through member `member` in [0, K). Cheaper than ImagineStep: only
  // that member's head runs, and `uncertainty` is left undefined.
  virtual LatentState ImagineStepMember(const LatentState& prev, const torch::Tensor& action,
                                        int64_t member) = 0;

  // Epistemic uncertainty of the next state given its deterministic state `deter` [..., D]:
  // the std across the K members of their predicted means, averaged over the stochastic dims
  // -> [...]. Exactly 0 when all members are identical.
  virtual torch::Tensor Disagreement(const torch::Tensor& deter) = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_DYNAMICS_H_
