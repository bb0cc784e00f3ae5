// The `cmil` optimizer: conservative model-based imitation (Kolev et al., L4DC 2024).
#ifndef IMITATE_PLUGINS_OPTIMIZERS_CMIL_CMIL_OPTIMIZER_H_
#define IMITATE_PLUGINS_OPTIMIZERS_CMIL_CMIL_OPTIMIZER_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "imitate/sdk/reward_learner.h"
#include "plugins/common/latent_agent.h"
#include "plugins/common/mlp.h"
#include "plugins/common/policy.h"

namespace torch::optim {
class SGD;
}  // namespace torch::optim

namespace imitate::plugins {

// The actor, the twin critics and their targets, as one module for checkpoints.
struct CmilNetsImpl : torch::nn::Module {
  CmilNetsImpl(const ActorConfig& actor_config, const MlpConfig& critic_config);
  Actor actor{nullptr};
  Mlp critic1{nullptr}, critic2{nullptr};
  Mlp target1{nullptr}, target2{nullptr};  // never trained: hard copies of the critics
};
TORCH_MODULE(CmilNets);

// The conservative imitation reward of the imagined steps i = 0 .. H-1 (spec 2.5):
//   r_i = policy_reward_i - penalty * uncertainty_{i+1}
// from the discriminator's rewards [H, N] and the ensemble disagreement of every imagined state
// [H + 1, N] (index 0 is the start), so each step pays for the state it leads to. With penalty 0
// it is policy_reward itself and `uncertainty` may be undefined.
inline torch::Tensor ConservativeReward(const torch::Tensor& policy_reward,
                                        const torch::Tensor& uncertainty, double penalty) {
  if (penalty == 0) return policy_reward;
  return policy_reward - penalty * uncertainty.slice(0, 1, policy_reward.size(0) + 1);
}

// One update (spec 2.2-2.7), in this order from one batch of the training replay B_R and one of
// the expert replay B_E:
//
//   world model step on B_R --> posteriors x (detached) --+--> start states (all B x T)
//   posterior filter of B_E --> expert pairs (x^E_t, a^E_{t+1})
//   imagine H steps from every start: a_i ~ pi(sg x_i), x_{i+1} ~ random ensemble member
//   reward r_i = sigmoid(D([x_i, a_i] + noise)) - uncertainty_penalty * u(x_{i+1})
//   discriminator: expert pairs vs imagined pairs (i = 0 .. H-1)
//   actor: -(w_i ((1 - lambda) Qmin_i + lambda G_i + entropy_weight * H_i)) + bc_weight * NLL_E
//   critics: imagined lambda-returns G' (one random target critic) + real transitions
//   every target_update_every updates: targets <- critics
//
// The discriminator, actor and critic gradients all come from one graph before any step.
class CmilOptimizer final : public LatentAgent {
 public:
  static ParamSpecs Specs();
  static std::unique_ptr<Optimizer> Create(const Params& params);
  explicit CmilOptimizer(const Params& params);
  ~CmilOptimizer() override;

  Metrics Update(Phase phase, const Batch& replay, const Batch& expert) override;

 protected:
  void BuildAgent(const AgentComponents& components) override;
  torch::Tensor ChooseAction(const torch::Tensor& features, ActMode mode) override;
  void SaveAgent(torch::serialize::OutputArchive& archive) override;
  void LoadAgent(torch::serialize::InputArchive& archive) override;

 private:
  // What a full update does with the world model before the rest reads its posteriors.
  enum class ModelStep {
    kTrain,      // one training step (the authors')
    kTrainSlow,  // one step on the fast copy, then the slow copy follows (SlowModelStep)
    kObserve,    // none: the model only filters the replay batch
  };
  // The full update of the offline pretraining and online phases; with `model_with_expert` the
  // world model's step trains on the replay and expert batches together.
  Metrics FullUpdate(const Batch& replay, const Batch& expert, ModelStep model_step,
                     bool model_with_expert);
  // Online with online_model_tau < 1: one world-model step on the fast copy, whose storage the
  // model's parameters point at for it; then they point back at the slow copy (which everything
  // else reads), moved a fraction tau towards the fast one.
  void SlowModelStep(const DeviceBatch& batch, Metrics& metrics);
  // The BC warm-up: a world-model step on the expert batch, then a pure-BC SGD actor step.
  Metrics BehaviorCloningUpdate(const Batch& expert);
  // Q(x, a) of one critic for features [..., F] and actions [..., A] -> [...].
  static torch::Tensor Q(Mlp& critic, const torch::Tensor& features, const torch::Tensor& action);
  // targets <- critics
  void CopyTargets();

  // parameters
  ActorConfig actor_config_;
  MlpConfig critic_config_;
  int64_t horizon_ = 15;
  double discount_ = 0.99;
  double lambda_ = 0.95;
  double uncertainty_penalty_ = 10.0;
  double entropy_weight_ = 1e-4;
  double bc_weight_ = 10.0;
  double bc_lr_ = 2e-4;
  double real_critic_weight_ = 1.0;
  int64_t target_update_every_ = 100;
  bool target_min_ = false;         // critic targets from min of both targets (else a random one)
  bool evaluate_mode_ = false;      // evaluate with the policy's mode (the authors sample)
  int64_t online_model_every_ = 1;  // online world-model updates: every Nth (0: none)
  double online_model_tau_ = 1.0;   // online, slow model <- (1 - tau) slow + tau fast (1: off)
  bool online_model_expert_batch_ = false;  // online, the model also trains on the expert batch
  OptimConfig actor_optim_, critic_optim_, discriminator_optim_;

  // built state
  RewardLearner* reward_ = nullptr;
  CmilNets nets_{nullptr};
  std::unique_ptr<ParamOptimizer> actor_opt_, critic_opt_, discriminator_opt_;
  std::unique_ptr<torch::optim::SGD> bc_sgd_;
  int64_t updates_ = 0;         // full updates so far (the target-copy clock)
  int64_t online_updates_ = 0;  // online updates so far (the world-model clock)
  // online_model_tau < 1: the trained (fast) world model, once online; the model's own
  // parameters then hold the slow copy
  std::vector<torch::Tensor> fast_model_;
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_OPTIMIZERS_CMIL_CMIL_OPTIMIZER_H_
