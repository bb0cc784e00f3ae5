// The `discriminator` reward learner: a GAIL-style latent state-action discriminator (CMIL,
// V-MAIL) with instance noise and an optional gradient penalty (on the inputs or the parameters).
#ifndef IMITATE_PLUGINS_REWARD_LEARNERS_DISCRIMINATOR_DISCRIMINATOR_H_
#define IMITATE_PLUGINS_REWARD_LEARNERS_DISCRIMINATOR_DISCRIMINATOR_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/params.h"
#include "imitate/sdk/reward_learner.h"
#include "plugins/common/mlp.h"

namespace imitate::plugins {

// Sizes of the discriminator network.
struct DiscriminatorNetConfig {
  int64_t input_size = 0;  // F + A
  std::vector<int64_t> hidden;
  std::string activation = "elu";
};

// The trainable part: an MLP from a (features, action) vector to one logit.
//
//   [x, a] [..., F + A] --> MLP (hidden, activation) --> LINEAR --> logit [...]
class DiscriminatorNetImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorNetImpl(const DiscriminatorNetConfig& config);

  // [..., F + A] -> logits [...].
  torch::Tensor forward(const torch::Tensor& input) { return mlp->forward(input).squeeze(-1); }

  Mlp mlp{nullptr};
};
TORCH_MODULE(DiscriminatorNet);

// Learns D(x, a) with binary cross-entropy (expert = 1, policy = 0) on inputs corrupted by
// Gaussian instance noise; the reward is sigmoid(D). See README.md for the exact loss and quirks.
class Discriminator final : public RewardLearner {
 public:
  // The declared parameters of the [reward] table.
  static ParamSpecs Specs();

  // Makes an unbuilt discriminator; throws ConfigError (naming the key) on bad values.
  static std::unique_ptr<RewardLearner> Create(const Params& params);

  explicit Discriminator(const Params& params);

  void Build(int64_t feature_size, int64_t action_size) override;
  RewardLoss Loss(const torch::Tensor& expert_features, const torch::Tensor& expert_actions,
                  const torch::Tensor& policy_features,
                  const torch::Tensor& policy_actions) override;
  torch::Tensor Reward(const torch::Tensor& features, const torch::Tensor& actions) override;
  std::shared_ptr<torch::nn::Module> Module() override;

 private:
  // [features, actions] concatenated on the module's device as float32 [..., F + A]; throws
  // DataError naming `what` when the sizes or leading dims do not fit.
  torch::Tensor Input(const torch::Tensor& features, const torch::Tensor& actions,
                      const char* what) const;

  // The reward as a function of D's logit (`reward_form`).
  enum class RewardForm { kSigmoid, kLogSigmoid, kLogit };
  // The `reward_form` parameter; throws ConfigError naming it for any other value.
  static RewardForm ParseRewardForm(const Params& params);

  // The reward_form's function of D: sigmoid(D), log sigmoid(D) or D, elementwise.
  torch::Tensor RewardOfLogits(const torch::Tensor& logits) const;

  // Throws UsageError when Build has not run.
  void CheckBuilt(const char* method) const;

  std::vector<int64_t> hidden_;
  std::string activation_;
  double instance_noise_ = 0.0;
  bool reward_on_noisy_input_ = true;
  double gradient_penalty_ = 0.0;
  bool penalty_on_parameters_ = false;  // gradient_penalty_on = "parameters"
  RewardForm reward_form_ = RewardForm::kSigmoid;

  int64_t feature_size_ = 0;  // set by Build
  int64_t action_size_ = 0;
  DiscriminatorNet net_{nullptr};
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_REWARD_LEARNERS_DISCRIMINATOR_DISCRIMINATOR_H_
