// The `vmail` optimizer: visual model-based adversarial imitation (Rafailov et al., 2021).
#ifndef IMITATE_PLUGINS_OPTIMIZERS_VMAIL_VMAIL_OPTIMIZER_H_
#define IMITATE_PLUGINS_OPTIMIZERS_VMAIL_VMAIL_OPTIMIZER_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>

#include "imitate/sdk/reward_learner.h"
#include "plugins/common/latent_agent.h"
#include "plugins/common/mlp.h"
#include "plugins/common/policy.h"

namespace imitate::plugins {

// The actor and the value network, as one module for checkpoints; with `averaged` also the
// Polyak-averaged copy of the actor that evaluation acts with (not trained by gradients).
struct VmailNetsImpl : torch::nn::Module {
  VmailNetsImpl(const ActorConfig& actor_config, const MlpConfig& value_config, bool averaged);
  Actor actor{nullptr};
  Mlp value{nullptr};
  Actor average_actor{nullptr};  // null unless averaged
};
TORCH_MODULE(VmailNets);

// One update (spec 8.2), the same in every phase, from a replay batch (demos + online data) and
// an expert batch:
//
//   world model step on the replay batch --> posteriors (detached start states, all B x T)
//   imagine H steps: a_i ~ pi(sg x_i) (reparameterised), x_{i+1} ~ prior
//   reward r_i = sigmoid(D(x_i, a_i)); discriminator: expert pairs vs imagined pairs
//   returns: the discounted sum of rewards (return_lambda 1, no bootstrap: the released code),
//            or TD(lambda) returns bootstrapped with the value net when bootstrap = true
//   actor: -mean(w_i G_i), backpropagated through the dynamics; value: regression on G
//   with eval_actor_tau < 1: average actor <- (1 - tau) average + tau actor (evaluation acts
//   with the average, collection with the trained actor)
class VmailOptimizer final : public LatentAgent {
 public:
  static ParamSpecs Specs();
  static std::unique_ptr<Optimizer> Create(const Params& params);
  explicit VmailOptimizer(const Params& params);
  ~VmailOptimizer() override;

  Metrics Update(Phase phase, const Batch& replay, const Batch& expert) override;

 protected:
  void BuildAgent(const AgentComponents& components) override;
  torch::Tensor ChooseAction(const torch::Tensor& features, ActMode mode) override;
  void SaveAgent(torch::serialize::OutputArchive& archive) override;
  void LoadAgent(torch::serialize::InputArchive& archive) override;

 private:
  // Moves the averaged actor towards the trained one (eval_actor_tau < 1 only).
  void AverageActor();

  // parameters
  ActorConfig actor_config_;
  MlpConfig value_config_;
  int64_t horizon_ = 15;
  double discount_ = 0.99;
  double lambda_ = 1.0;
  bool bootstrap_ = false;
  double exploration_noise_ = 0.3;
  bool online_model_expert_batch_ = false;  // online, the model also trains on the expert batch
  double eval_actor_tau_ = 1.0;             // Polyak weight of the evaluated actor (1: off)
  OptimConfig actor_optim_, value_optim_, discriminator_optim_;

  // built state
  RewardLearner* reward_ = nullptr;
  VmailNets nets_{nullptr};
  std::unique_ptr<ParamOptimizer> actor_opt_, value_opt_, discriminator_opt_;
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_OPTIMIZERS_VMAIL_VMAIL_OPTIMIZER_H_
