#include "plugins/optimizers/vmail/vmail_optimizer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <utility>

#include "imitate/sdk/errors.h"
#include "plugins/common/imagine.h"
#include "plugins/common/optim.h"

namespace imitate::plugins {

VmailNetsImpl::VmailNetsImpl(const ActorConfig& actor_config, const MlpConfig& value_config,
                             bool averaged) {
  actor = register_module("actor", Actor(actor_config));
  value = register_module("value", Mlp(value_config));
  if (averaged) {
    average_actor = register_module("average_actor", Actor(actor_config));
    for (torch::Tensor& p : average_actor->parameters()) p.requires_grad_(false);
  }
}

// ----- parameters ----- //

ParamSpecs VmailOptimizer::Specs() {
  ParamSpecs specs = {
      IntListParam("actor_hidden", {400, 400, 400, 400}, "units of the actor's hidden layers")
          .Range(1, 65536)
          .Length(1, 64),
      IntListParam("value_hidden", {400, 400, 400}, "units of the value net's hidden layers")
          .Range(1, 65536)
          .Length(1, 64),
      StringParam("activation", "elu", "activation of the actor and value net")
          .Choices(MlpActivationNames()),
      FloatParam("actor_min_std", 1e-4, "lower bound of the actor's pre-tanh std (> 0)").Min(0),
      FloatParam("actor_max_std", 5.0,
                 "upper bound of the actor's pre-tanh std (V-MAIL starts near 5)")
          .Min(0),
      IntParam("horizon", 15, "imagination horizon H (10 for V-MAIL's claw)").Range(1, 1000),
      FloatParam("discount", 0.99, "discount gamma").Range(0, 1),
      FloatParam("return_lambda", 1.0,
                 "lambda of the returns; 1 with bootstrap = false is the released code's "
                 "discounted sum of rewards")
          .Range(0, 1),
      BoolParam("bootstrap", false,
                "bootstrap the returns with the value net (Dreamer's lambda-return, as V-MAIL's "
                "car-racing variant)"),
      FloatParam("exploration_noise", 0.3,
                 "std of the Gaussian noise added to the mode while collecting (clipped to "
                 "[-1, 1])")
          .Min(0),
      OnlineModelExpertBatchSpec(),
      FloatParam("eval_actor_tau", 1.0,
                 "evaluation acts with a Polyak average of the actor, average <- (1 - tau) "
                 "average + tau actor after every actor step (1: the trained actor itself, as "
                 "V-MAIL; collection always uses the trained actor)")
          .Range(0, 1),
  };
  AddModelSpecs(specs, OptimConfig{6e-4, 1e-5, 100.0, 0.0});
  AddOptimSpecs(specs, "actor_", "actor", OptimConfig{8e-5, 1e-5, 100.0, 0.0});
  AddOptimSpecs(specs, "value_", "value net", OptimConfig{8e-5, 1e-5, 100.0, 0.0});
  AddOptimSpecs(specs, "discriminator_", "discriminator", OptimConfig{8e-5, 1e-5, 100.0, 0.0});
  return specs;
}

std::unique_ptr<Optimizer> VmailOptimizer::Create(const Params& params) {
  return std::make_unique<VmailOptimizer>(params);
}

VmailOptimizer::VmailOptimizer(const Params& params)
    : LatentAgent("vmail", params),
      horizon_(params.Int("horizon")),
      discount_(params.Float("discount")),
      lambda_(params.Float("return_lambda")),
      bootstrap_(params.Bool("bootstrap")),
      exploration_noise_(params.Float("exploration_noise")),
      online_model_expert_batch_(params.Bool("online_model_expert_batch")),
      eval_actor_tau_(params.Float("eval_actor_tau")),
      actor_optim_(ReadOptim(params, "actor_")),
      value_optim_(ReadOptim(params, "value_")),
      discriminator_optim_(ReadOptim(params, "discriminator_")) {
  if (eval_actor_tau_ <= 0) params.Fail("eval_actor_tau", "must be > 0 (1: off)");
  if (params.Float("actor_min_std") <= 0) params.Fail("actor_min_std", "must be > 0");
  if (params.Float("actor_max_std") < params.Float("actor_min_std")) {
    params.Fail("actor_max_std",
                fmt::format("must be >= actor_min_std ({:g})", params.Float("actor_min_std")));
  }
  actor_config_.hidden = params.IntList("actor_hidden");
  actor_config_.activation = params.String("activation");
  actor_config_.distribution = ActionDistKind::kTanhNormal;
  actor_config_.min_std = params.Float("actor_min_std");
  actor_config_.max_std = params.Float("actor_max_std");
  actor_config_.mean_scale = 5.0;
  value_config_.hidden = params.IntList("value_hidden");
  value_config_.activation = params.String("activation");
  value_config_.output_size = 1;
}

VmailOptimizer::~VmailOptimizer() = default;

void VmailOptimizer::BuildAgent(const AgentComponents& components) {
  reward_ = RequireReward(components);
  actor_config_.input_size = model_->feature_size();
  actor_config_.action_size = action_size_;
  value_config_.input_size = model_->feature_size();
  nets_ = VmailNets(actor_config_, value_config_, /*averaged=*/eval_actor_tau_ < 1);
  nets_->actor->ResetParameters(generator_);
  nets_->value->ResetParameters(generator_);
  nets_->to(device_);
  // the average starts as the initial actor
  if (nets_->average_actor) {
    MoveParametersTowards(nets_->actor->parameters(), nets_->average_actor->parameters(), 1.0);
  }
  actor_opt_ = std::make_unique<ParamOptimizer>(nets_->actor->parameters(), actor_optim_);
  value_opt_ = std::make_unique<ParamOptimizer>(nets_->value->parameters(), value_optim_);
  discriminator_opt_ =
      std::make_unique<ParamOptimizer>(reward_->Module()->parameters(), discriminator_optim_);
}

// ----- training ----- //

Metrics VmailOptimizer::Update(Phase phase, const Batch& replay, const Batch& expert) {
  CheckBuilt("Update");
  Metrics metrics;
  // the world model (online with online_model_expert_batch: on the replay and expert batches
  // together), then the replay posteriors and the expert pairs (x_t, a_{t+1}) within episodes
  DeviceBatch replay_batch = model_->ToDevice(replay);
  DeviceBatch expert_batch = model_->ToDevice(expert);
  Filtered posterior;
  if (phase == Phase::kOnline && online_model_expert_batch_) {
    DeviceBatch joined = model_->Join(replay_batch, expert_batch, "online_model_expert_batch");
    posterior = FirstRows(model_->Train(joined, metrics), replay_batch.action.size(0));
  } else {
    posterior = model_->Train(replay_batch, metrics);
  }
  auto [expert_features, expert_actions] =
      StateActionPairs(model_->Observe(expert_batch).features, expert_batch);

  // imagination from every replay posterior, the discriminator and its reward
  const int64_t h = horizon_;
  Imagined imagined = Imagine(model_->dynamics(), nets_->actor, FlattenTime(posterior.posterior), h,
                              /*with_uncertainty=*/false, generator_);
  RewardLoss discriminator =
      reward_->Loss(expert_features, expert_actions, imagined.features.slice(0, 0, h),
                    imagined.actions.slice(0, 0, h));
  torch::Tensor reward = discriminator.policy_reward;  // [H, N]

  // returns, the actor's loss through the dynamics, and the value regression
  torch::Tensor value = nets_->value->forward(imagined.features).squeeze(-1);  // [H + 1, N]
  torch::Tensor bootstrap_value = bootstrap_ ? value : torch::zeros_like(value);
  torch::Tensor returns = LambdaReturn(reward, bootstrap_value.slice(0, 0, h), bootstrap_value[h],
                                       discount_, bootstrap_ ? lambda_ : 1.0);
  torch::Tensor weights = DiscountWeights(h, discount_, reward.options());
  torch::Tensor actor_loss = -(weights * returns).mean();
  torch::Tensor value_prediction =
      nets_->value->forward(imagined.features.slice(0, 0, h).detach()).squeeze(-1);
  torch::Tensor value_loss =
      (weights * 0.5 * (value_prediction - returns.detach()).square()).mean();

  // gradients from the one graph, then the steps
  discriminator_opt_->Backward(discriminator.loss, /*retain_graph=*/true);
  actor_opt_->Backward(actor_loss);
  value_opt_->Backward(value_loss);
  metrics["vmail_discriminator_grad_norm"] = discriminator_opt_->Apply();
  metrics["vmail_actor_grad_norm"] = actor_opt_->Apply();
  metrics["vmail_value_grad_norm"] = value_opt_->Apply();
  AverageActor();

  torch::NoGradGuard no_grad;
  for (const auto& [key, entry] : discriminator.metrics) metrics[key] = entry;
  metrics["vmail_actor_loss"] = actor_loss.item<double>();
  metrics["vmail_value_loss"] = value_loss.item<double>();
  metrics["vmail_reward"] = reward.mean().item<double>();
  metrics["vmail_return"] = returns.mean().item<double>();
  metrics["vmail_policy_entropy"] = imagined.entropy.mean().item<double>();
  return metrics;
}

void VmailOptimizer::AverageActor() {
  if (!nets_->average_actor) return;
  MoveParametersTowards(nets_->actor->parameters(), nets_->average_actor->parameters(),
                        eval_actor_tau_);
}

// ----- acting ----- //

torch::Tensor VmailOptimizer::ChooseAction(const torch::Tensor& features, ActMode mode) {
  if (mode == ActMode::kEvaluate) {
    Actor& actor = nets_->average_actor ? nets_->average_actor : nets_->actor;
    return actor->forward(features).Mode();
  }
  torch::Tensor action = nets_->actor->forward(features).Mode();
  if (exploration_noise_ == 0) return action;
  torch::Tensor noise = torch::randn(action.sizes(), generator_).to(action.device());
  return (action + exploration_noise_ * noise).clamp(-1.0, 1.0);
}

// ----- checkpoints ----- //

void VmailOptimizer::SaveAgent(torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive nets;
  nets_->save(nets);
  archive.write("vmail_nets", nets);
  actor_opt_->Save(archive, "actor_adam");
  value_opt_->Save(archive, "value_adam");
  discriminator_opt_->Save(archive, "discriminator_adam");
}

void VmailOptimizer::LoadAgent(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive nets;
  archive.read("vmail_nets", nets);
  nets_->load(nets);
  nets_->to(device_);
  actor_opt_->Load(archive, "actor_adam");
  value_opt_->Load(archive, "value_adam");
  discriminator_opt_->Load(archive, "discriminator_adam");
}

}  // namespace imitate::plugins
