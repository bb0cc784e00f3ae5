// Extension point: a learned reward (e.g. a GAIL-style discriminator in latent space).
#ifndef IMITATE_SDK_REWARD_LEARNER_H_
#define IMITATE_SDK_REWARD_LEARNER_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>

#include "imitate/sdk/plugin.h"
#include "imitate/sdk/spaces.h"

namespace imitate {

// The training loss of a reward learner and the reward it gives the policy's pairs, computed
// from the same (e.g. noise-corrupted) inputs.
struct IMITATE_EXPORT RewardLoss {
  torch::Tensor loss;           // scalar to minimise
  torch::Tensor policy_reward;  // reward of each policy pair, shaped like its leading dims
  Metrics metrics;              // e.g. expert and policy accuracy
};

// Learns a reward from expert versus policy (features, action) pairs, where `action` is the
// action taken *from* the state with those features.
class IMITATE_EXPORT RewardLearner : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kRewardLearner;
  ~RewardLearner() override;

  // Builds the networks for features of size F and actions of size A.
  virtual void Build(int64_t feature_size, int64_t action_size) = 0;

  // Loss on expert pairs ([..., F], [..., A]) against policy pairs, and the policy's reward.
  virtual RewardLoss Loss(const torch::Tensor& expert_features, const torch::Tensor& expert_actions,
                          const torch::Tensor& policy_features,
                          const torch::Tensor& policy_actions) = 0;

  // The reward of pairs without training-time corruption: [..., F], [..., A] -> [...].
  virtual torch::Tensor Reward(const torch::Tensor& features, const torch::Tensor& actions) = 0;

  // The trainable module, for optimisers and checkpoints.
  virtual std::shared_ptr<torch::nn::Module> Module() = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_REWARD_LEARNER_H_
