#include "plugins/reward_learners/discriminator/discriminator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <utility>

#include "imitate/sdk/errors.h"

namespace imitate::plugins {

// ----- module ----- //

DiscriminatorNetImpl::DiscriminatorNetImpl(const DiscriminatorNetConfig& config) {
  // [x, a] [..., F + A] -> hidden layers -> one logit [..., 1]
  mlp = register_module(
      "mlp", Mlp(MlpConfig{config.input_size, config.hidden, 1, config.activation, false}));
}

// ----- plugin ----- //

ParamSpecs Discriminator::Specs() {
  return {
      IntListParam("hidden", {200, 200}, "units of each hidden layer of D (CMIL: 2 x 200)")
          .Range(1, 65536)
          .Length(1, 64),
      StringParam("activation", "elu", "activation of the hidden layers")
          .Choices(MlpActivationNames()),
      FloatParam("instance_noise", 2.5,
                 "std of the Gaussian noise added to expert and policy inputs in the loss "
                 "(CMIL: 2.5; 0: none)")
          .Min(0),
      BoolParam("reward_on_noisy_input", true,
                "the loss's policy reward is sigmoid(D) of the noisy input, as CMIL's code does "
                "(false: of the clean input)"),
      FloatParam("gradient_penalty", 0.0,
                 "weight of the gradient penalty (||grad D|| - 1)^2 at expert-policy "
                 "interpolates (0: none; V-MAIL: 1)")
          .Min(0),
      StringParam("gradient_penalty_on", "inputs",
                  "what the penalty's gradient is taken with respect to: `inputs` (WGAN-GP) or "
                  "`parameters` (of the mean logit, as V-MAIL's code does)")
          .Choices({"inputs", "parameters"}),
      StringParam("reward_form", "sigmoid",
                  "the reward as a function of the logit D: `sigmoid` (CMIL, V-MAIL), "
                  "`log_sigmoid` (log sigmoid(D), which keeps a slope where D is confident "
                  "the pair is the policy's) or `logit` (D itself, log D - log(1 - D))")
          .Choices({"sigmoid", "log_sigmoid", "logit"}),
  };
}

std::unique_ptr<RewardLearner> Discriminator::Create(const Params& params) {
  return std::make_unique<Discriminator>(params);
}

Discriminator::Discriminator(const Params& params)
    : hidden_(params.IntList("hidden")),
      activation_(params.String("activation")),
      instance_noise_(params.Float("instance_noise")),
      reward_on_noisy_input_(params.Bool("reward_on_noisy_input")),
      gradient_penalty_(params.Float("gradient_penalty")),
      penalty_on_parameters_(params.String("gradient_penalty_on") == "parameters"),
      reward_form_(ParseRewardForm(params)) {
  // the specs check these already; repeated for Params made without them (and for NaN)
  if (hidden_.empty()) params.Fail("hidden", "needs at least one hidden layer");
  if (!(instance_noise_ >= 0)) params.Fail("instance_noise", "must be >= 0");
  if (!(gradient_penalty_ >= 0)) params.Fail("gradient_penalty", "must be >= 0");
}

Discriminator::RewardForm Discriminator::ParseRewardForm(const Params& params) {
  const std::string form = params.String("reward_form");
  if (form == "sigmoid") return RewardForm::kSigmoid;
  if (form == "log_sigmoid") return RewardForm::kLogSigmoid;
  if (form == "logit") return RewardForm::kLogit;
  params.Fail("reward_form", "must be `sigmoid`, `log_sigmoid` or `logit`");
}

torch::Tensor Discriminator::RewardOfLogits(const torch::Tensor& logits) const {
  switch (reward_form_) {
    case RewardForm::kLogSigmoid:
      return torch::log_sigmoid(logits);
    case RewardForm::kLogit:
      return logits;
    case RewardForm::kSigmoid:
      break;
  }
  return torch::sigmoid(logits);
}

void Discriminator::Build(int64_t feature_size, int64_t action_size) {
  if (feature_size < 1 || action_size < 1) {
    throw UsageError(
        fmt::format("discriminator: Build needs feature and action sizes >= 1 (got {} and {})",
                    feature_size, action_size));
  }
  feature_size_ = feature_size;
  action_size_ = action_size;
  net_ = DiscriminatorNet(DiscriminatorNetConfig{feature_size + action_size, hidden_, activation_});
}

RewardLoss Discriminator::Loss(const torch::Tensor& expert_features,
                               const torch::Tensor& expert_actions,
                               const torch::Tensor& policy_features,
                               const torch::Tensor& policy_actions) {
  CheckBuilt("Loss");
  // the penalty differentiates D's input gradient, so it needs autograd even under NoGradGuard
  torch::AutoGradMode grad_mode(gradient_penalty_ > 0 || torch::GradMode::is_enabled());

  // pairs flattened to [N_e, F + A] and [N_p, F + A]
  const int64_t width = feature_size_ + action_size_;
  torch::Tensor policy_pairs = Input(policy_features, policy_actions, "policy");
  std::vector<int64_t> policy_shape(policy_pairs.sizes().begin(), policy_pairs.sizes().end() - 1);
  torch::Tensor expert = Input(expert_features, expert_actions, "expert").reshape({-1, width});
  torch::Tensor policy = policy_pairs.reshape({-1, width});
  const int64_t n_expert = expert.size(0);
  const int64_t n_policy = policy.size(0);
  if (n_expert == 0 || n_policy == 0) {
    throw DataError(fmt::format("discriminator: Loss needs expert and policy pairs (got {} and {})",
                                n_expert, n_policy));
  }

  // instance noise on both sides: one N(0, 1) draw [N_e + N_p, F + A], expert rows first
  torch::Tensor clean = torch::cat({expert, policy}, 0);
  torch::Tensor noisy =
      instance_noise_ > 0 ? clean + instance_noise_ * torch::randn_like(clean) : clean;

  // every D evaluation of the loss in one forward pass over stacked rows:
  //   noisy expert | noisy policy | [clean policy, for the clean reward] | [interpolates]
  std::vector<torch::Tensor> rows = {noisy};
  const bool clean_reward = !reward_on_noisy_input_ && instance_noise_ > 0;
  if (clean_reward) rows.push_back(policy);
  torch::Tensor interpolates;
  if (gradient_penalty_ > 0) {
    // alpha * expert + (1 - alpha) * policy over the first min(N_e, N_p) pairs of each; the
    // endpoints are detached so the penalty trains D only
    const int64_t m = std::min(n_expert, n_policy);
    torch::Tensor inputs = noisy.detach();
    torch::Tensor alpha = torch::rand({m, 1}, inputs.options());
    interpolates =
        alpha * inputs.slice(0, 0, m) + (1 - alpha) * inputs.slice(0, n_expert, n_expert + m);
    if (!penalty_on_parameters_) interpolates.requires_grad_(true);
    rows.push_back(interpolates);
  }
  torch::Tensor logits = net_->forward(rows.size() == 1 ? rows.front() : torch::cat(rows, 0));
  torch::Tensor expert_logits = logits.slice(0, 0, n_expert);
  torch::Tensor policy_logits = logits.slice(0, n_expert, n_expert + n_policy);
  int64_t offset = n_expert + n_policy;

  // binary cross-entropy, each side a mean over its own pairs: log(1 - sigmoid(z)) = log
  // sigmoid(-z)
  RewardLoss out;
  out.loss = -torch::log_sigmoid(expert_logits).mean() - torch::log_sigmoid(-policy_logits).mean();

  // the policy's reward (reward_form of D): of the noisy input the loss used (CMIL), or of the
  // clean one
  torch::Tensor reward_logits = policy_logits;
  if (clean_reward) {
    reward_logits = logits.slice(0, offset, offset + n_policy);
    offset += n_policy;
  }
  out.policy_reward = RewardOfLogits(reward_logits).reshape(policy_shape);

  // gradient penalty at the interpolates, kept in the graph:
  //   inputs:     mean over pairs of (||d D(u) / d u|| - 1)^2
  //   parameters: (||d mean D(u) / d theta|| - 1)^2, theta all of D's parameters
  torch::Tensor penalty;
  if (gradient_penalty_ > 0) {
    torch::Tensor interpolate_logits = logits.slice(0, offset);
    if (penalty_on_parameters_) {
      std::vector<torch::Tensor> grads = torch::autograd::grad(
          {interpolate_logits.mean()}, net_->parameters(), /*grad_outputs=*/{},
          /*retain_graph=*/true, /*create_graph=*/true);
      torch::Tensor squared = grads.front().square().sum();
      for (size_t i = 1; i < grads.size(); ++i) squared = squared + grads[i].square().sum();
      penalty = (squared.sqrt() - 1).square();
    } else {
      torch::Tensor grad = torch::autograd::grad({interpolate_logits.sum()}, {interpolates},
                                                 /*grad_outputs=*/{}, /*retain_graph=*/true,
                                                 /*create_graph=*/true)[0];
      penalty = (grad.norm(2, -1) - 1).square().mean();
    }
    out.loss = out.loss + gradient_penalty_ * penalty;
  }

  // metrics, from the logits the loss used
  torch::NoGradGuard no_grad;
  out.metrics["discriminator/loss"] = out.loss.item<double>();
  out.metrics["discriminator/expert_accuracy"] =
      (expert_logits > 0).to(torch::kFloat32).mean().item<double>();
  out.metrics["discriminator/policy_accuracy"] =
      (policy_logits < 0).to(torch::kFloat32).mean().item<double>();
  out.metrics["discriminator/expert_reward_mean"] =
      torch::sigmoid(expert_logits).mean().item<double>();
  out.metrics["discriminator/policy_reward_mean"] = out.policy_reward.mean().item<double>();
  if (penalty.defined()) out.metrics["discriminator/gradient_penalty"] = penalty.item<double>();
  return out;
}

torch::Tensor Discriminator::Reward(const torch::Tensor& features, const torch::Tensor& actions) {
  CheckBuilt("Reward");
  // sigmoid(D([x, a])) (or the reward_form's function of D) on the clean input:
  // [..., F], [..., A] -> [...]
  return RewardOfLogits(net_->forward(Input(features, actions, "reward")));
}

std::shared_ptr<torch::nn::Module> Discriminator::Module() {
  CheckBuilt("Module");
  return net_.ptr();
}

torch::Tensor Discriminator::Input(const torch::Tensor& features, const torch::Tensor& actions,
                                   const char* what) const {
  if (features.dim() < 1 || features.size(-1) != feature_size_ || actions.dim() < 1 ||
      actions.size(-1) != action_size_ ||
      features.sizes().slice(0, features.dim() - 1) !=
          actions.sizes().slice(0, actions.dim() - 1)) {
    throw DataError(fmt::format(
        "discriminator: {} features [{}] and actions [{}] do not fit; expected [..., {}] and "
        "[..., {}] with the same leading dims",
        what, fmt::join(features.sizes(), ", "), fmt::join(actions.sizes(), ", "), feature_size_,
        action_size_));
  }
  torch::Device device = net_->mlp->device();
  return torch::cat({features.to(device, torch::kFloat32), actions.to(device, torch::kFloat32)},
                    -1);
}

void Discriminator::CheckBuilt(const char* method) const {
  if (!net_) throw UsageError(fmt::format("discriminator: {} called before Build", method));
}

}  // namespace imitate::plugins
