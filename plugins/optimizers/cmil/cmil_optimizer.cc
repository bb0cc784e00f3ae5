#include "plugins/optimizers/cmil/cmil_optimizer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <limits>
#include <utility>
#include <vector>

#include "imitate/sdk/errors.h"
#include "plugins/common/imagine.h"
#include "plugins/common/optim.h"

namespace imitate::plugins {

// ----- networks ----- //

CmilNetsImpl::CmilNetsImpl(const ActorConfig& actor_config, const MlpConfig& critic_config) {
  actor = register_module("actor", Actor(actor_config));
  critic1 = register_module("critic1", Mlp(critic_config));
  critic2 = register_module("critic2", Mlp(critic_config));
  target1 = register_module("target1", Mlp(critic_config));
  target2 = register_module("target2", Mlp(critic_config));
  for (Mlp* target : {&target1, &target2}) {
    for (torch::Tensor& p : (*target)->parameters()) p.requires_grad_(false);
  }
}

// ----- parameters ----- //

ParamSpecs CmilOptimizer::Specs() {
  const OptimConfig authors{3e-4, 1e-5, 100.0, 1e-6};  // every optimiser of the authors' code
  ParamSpecs specs = {
      IntListParam("actor_hidden", {400, 400, 400, 400}, "units of the actor's hidden layers")
          .Range(1, 65536)
          .Length(1, 64),
      IntListParam("critic_hidden", {400, 400, 400, 400}, "units of each critic's hidden layers")
          .Range(1, 65536)
          .Length(1, 64),
      StringParam("activation", "elu", "activation of the actor and critics")
          .Choices(MlpActivationNames()),
      StringParam("actor_dist", "trunc_normal",
                  "action distribution: trunc_normal (the authors') or tanh_normal")
          .Choices(ActionDistNames()),
      FloatParam("actor_min_std", 0.1, "lower bound of the actor's std (> 0)").Min(0),
      FloatParam("actor_max_std", 2.1,
                 "upper bound of the actor's std: std = min + (max - min) sigmoid(raw / 2)")
          .Min(0),
      IntParam("horizon", 15, "imagination horizon H").Range(1, 1000),
      FloatParam("discount", 0.99, "discount gamma").Range(0, 1),
      FloatParam("return_lambda", 0.95,
                 "lambda of the lambda-returns, and the actor's weight on them (vs Q_min)")
          .Range(0, 1),
      FloatParam("uncertainty_penalty", 10.0,
                 "lambda_u: reward = sigmoid(D) - lambda_u * ensemble disagreement; 0 gives the "
                 "non-conservative ablation")
          .Min(0),
      FloatParam("entropy_weight", 1e-4, "actor entropy bonus eta").Min(0),
      FloatParam("bc_weight", 10.0,
                 "beta_BC: weight of the expert NLL in every actor loss; 0 gives the no-BC "
                 "ablation")
          .Min(0),
      FloatParam("bc_lr", 2e-4, "SGD learning rate of the BC warm-up phase (> 0)").Min(0),
      FloatParam("real_critic_weight", 1.0,
                 "weight of the critics' loss on real replay transitions (0: imagination only)")
          .Min(0),
      IntParam("target_update_every", 100, "hard-copy the critics into the targets every N updates")
          .Range(1, 1000000000),
      StringParam("critic_target", "random",
                  "target critic of the critic's lambda-return: random (the authors': one of the "
                  "two at random each update) or min")
          .Choices({"random", "min"}),
      StringParam("evaluate_with", "sample", "evaluation actions: sample (the authors') or mode")
          .Choices({"sample", "mode"}),
      IntParam("online_model_every", 1,
               "online, train the world model on every Nth update (1: every update, the "
               "authors'; 0: keep the model of the offline phases fixed)")
          .Range(0, 1000000000),
      FloatParam("online_model_tau", 1.0,
                 "online, the actor, critics, discriminator and acting read a slow copy of the "
                 "world model, moved this fraction towards the trained one after each model step "
                 "(1: the trained model itself, the authors'; 0: the offline phases' model)")
          .Range(0, 1),
      OnlineModelExpertBatchSpec(),
  };
  AddModelSpecs(specs, authors);
  AddOptimSpecs(specs, "actor_", "actor", authors);
  AddOptimSpecs(specs, "critic_", "critics", authors);
  // the authors' code builds the discriminator's optimiser from the actor's config (3e-4); the
  // configured 3e-5 is unused (spec 2.4)
  AddOptimSpecs(specs, "discriminator_", "discriminator", authors);
  return specs;
}

std::unique_ptr<Optimizer> CmilOptimizer::Create(const Params& params) {
  return std::make_unique<CmilOptimizer>(params);
}

CmilOptimizer::CmilOptimizer(const Params& params)
    : LatentAgent("cmil", params),
      horizon_(params.Int("horizon")),
      discount_(params.Float("discount")),
      lambda_(params.Float("return_lambda")),
      uncertainty_penalty_(params.Float("uncertainty_penalty")),
      entropy_weight_(params.Float("entropy_weight")),
      bc_weight_(params.Float("bc_weight")),
      bc_lr_(params.Float("bc_lr")),
      real_critic_weight_(params.Float("real_critic_weight")),
      target_update_every_(params.Int("target_update_every")),
      target_min_(params.String("critic_target") == "min"),
      evaluate_mode_(params.String("evaluate_with") == "mode"),
      online_model_every_(params.Int("online_model_every")),
      online_model_tau_(params.Float("online_model_tau")),
      online_model_expert_batch_(params.Bool("online_model_expert_batch")),
      actor_optim_(ReadOptim(params, "actor_")),
      critic_optim_(ReadOptim(params, "critic_")),
      discriminator_optim_(ReadOptim(params, "discriminator_")) {
  if (params.Float("bc_lr") <= 0) params.Fail("bc_lr", "must be > 0");
  if (params.Float("actor_min_std") <= 0) params.Fail("actor_min_std", "must be > 0");
  if (params.Float("actor_max_std") < params.Float("actor_min_std")) {
    params.Fail("actor_max_std",
                fmt::format("must be >= actor_min_std ({:g})", params.Float("actor_min_std")));
  }
  actor_config_.hidden = params.IntList("actor_hidden");
  actor_config_.activation = params.String("activation");
  actor_config_.distribution = ParseActionDist(params.String("actor_dist"));
  actor_config_.min_std = params.Float("actor_min_std");
  actor_config_.max_std = params.Float("actor_max_std");
  actor_config_.std_slope = 0.5;  // 2 sigmoid(raw / 2) + 0.1
  actor_config_.std_shift = 0.0;
  critic_config_.hidden = params.IntList("critic_hidden");
  critic_config_.activation = params.String("activation");
  critic_config_.output_size = 1;
}

CmilOptimizer::~CmilOptimizer() = default;

// ----- building ----- //

void CmilOptimizer::BuildAgent(const AgentComponents& components) {
  if (uncertainty_penalty_ > 0 && model_->ensemble() == nullptr) {
    throw ConfigError(fmt::format(
        "{}.uncertainty_penalty: {:g} needs an ensemble dynamics model (rssm_ensemble); set it "
        "to 0 for a single-head model",
        path_, uncertainty_penalty_));
  }
  reward_ = RequireReward(components);
  const int64_t features = model_->feature_size();
  actor_config_.input_size = features;
  actor_config_.action_size = action_size_;
  critic_config_.input_size = features + action_size_;
  nets_ = CmilNets(actor_config_, critic_config_);
  nets_->actor->ResetParameters(generator_);
  nets_->critic1->ResetParameters(generator_);
  nets_->critic2->ResetParameters(generator_);
  nets_->to(device_);
  CopyTargets();
  // one optimiser per network family, as the authors'
  actor_opt_ = std::make_unique<ParamOptimizer>(nets_->actor->parameters(), actor_optim_);
  std::vector<torch::Tensor> critics = nets_->critic1->parameters();
  for (const torch::Tensor& p : nets_->critic2->parameters()) critics.push_back(p);
  critic_opt_ = std::make_unique<ParamOptimizer>(std::move(critics), critic_optim_);
  discriminator_opt_ =
      std::make_unique<ParamOptimizer>(reward_->Module()->parameters(), discriminator_optim_);
  bc_sgd_ = std::make_unique<torch::optim::SGD>(nets_->actor->parameters(),
                                                torch::optim::SGDOptions(bc_lr_));
}

void CmilOptimizer::CopyTargets() {
  MoveParametersTowards(nets_->critic1->parameters(), nets_->target1->parameters(), 1.0);
  MoveParametersTowards(nets_->critic2->parameters(), nets_->target2->parameters(), 1.0);
}

torch::Tensor CmilOptimizer::Q(Mlp& critic, const torch::Tensor& features,
                               const torch::Tensor& action) {
  return critic->forward(torch::cat({features, action}, -1)).squeeze(-1);
}

// ----- training ----- //

namespace {

// Global norms of one term's gradient (`part`) and of the rest (the parameters' stored
// gradients minus `part`), before clipping; one device-to-host copy.
std::pair<double, double> SplitGradNorms(const std::vector<torch::Tensor>& parameters,
                                         const std::vector<torch::Tensor>& part) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> part_sq, rest_sq;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const torch::Tensor& total = parameters[i].grad();
    if (!total.defined()) continue;
    const bool split = part[i].defined();
    rest_sq.push_back((split ? total - part[i] : total).square().sum());
    if (split) part_sq.push_back(part[i].square().sum());
  }
  auto norm = [](const std::vector<torch::Tensor>& squares) {
    return squares.empty() ? torch::zeros({}) : torch::stack(squares).sum().sqrt().cpu();
  };
  torch::Tensor norms = torch::stack({norm(part_sq), norm(rest_sq)}).to(torch::kDouble);
  return {norms[0].item<double>(), norms[1].item<double>()};
}

}  // namespace

Metrics CmilOptimizer::Update(Phase phase, const Batch& replay, const Batch& expert) {
  CheckBuilt("Update");
  if (phase == Phase::kBehaviorCloning) return BehaviorCloningUpdate(expert);
  // online, the model trains on every Nth update only (never when N = 0), as a fast copy the
  // slow one follows when tau < 1
  ModelStep model_step = ModelStep::kTrain;
  if (phase == Phase::kOnline) {
    if (online_model_every_ == 0 || online_updates_ % online_model_every_ != 0) {
      model_step = ModelStep::kObserve;
    } else if (online_model_tau_ < 1) {
      model_step = ModelStep::kTrainSlow;
    }
    ++online_updates_;
  }
  const bool with_expert = phase == Phase::kOnline && online_model_expert_batch_;
  return FullUpdate(replay, expert, model_step, with_expert);
}

void CmilOptimizer::SlowModelStep(const DeviceBatch& batch, Metrics& metrics) {
  const std::vector<torch::Tensor>& params = model_->parameters();
  // the fast copy starts as the model the online phase begins with
  if (fast_model_.empty()) {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& p : params) fast_model_.push_back(p.detach().clone());
  }
  // point the parameters at the fast copy's storage (set_data keeps each parameter's identity,
  // so the model's Adam state stays with it) and train it in place; then point them back at the
  // slow copy's and move that towards the fast one: no copies, no new storage
  std::vector<torch::Tensor> slow;
  slow.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    slow.push_back(params[i].detach());
    params[i].set_data(fast_model_[i]);
  }
  model_->Train(batch, metrics);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    params[i].set_data(slow[i].lerp_(fast_model_[i], online_model_tau_));
  }
}

namespace {
// mean of `value` where `mask` (same shape, float) is 1
torch::Tensor MaskedMean(const torch::Tensor& value, const torch::Tensor& mask) {
  return (value * mask).sum() / mask.sum().clamp_min(1.0);
}
}  // namespace

Metrics CmilOptimizer::BehaviorCloningUpdate(const Batch& expert) {
  Metrics metrics;
  DeviceBatch batch = model_->ToDevice(expert);
  Filtered filtered = model_->Train(batch, metrics);
  auto [features, actions] = StateActionPairs(filtered.features, batch);
  torch::Tensor nll = -nets_->actor->forward(features).LogProb(actions).mean();
  bc_sgd_->zero_grad();
  nll.backward();
  AverageGradientsAcrossRanks(nets_->actor->parameters());  // data-parallel runs
  // clipped like every other step of the method (the plain SGD step is otherwise unbounded)
  const double max_norm =
      actor_optim_.grad_clip > 0 ? actor_optim_.grad_clip : std::numeric_limits<double>::infinity();
  metrics["cmil_actor_grad_norm"] =
      torch::nn::utils::clip_grad_norm_(nets_->actor->parameters(), max_norm);
  bc_sgd_->step();
  metrics["cmil_bc_nll"] = nll.item<double>();
  return metrics;
}

Metrics CmilOptimizer::FullUpdate(const Batch& replay, const Batch& expert, ModelStep model_step,
                                  bool model_with_expert) {
  Metrics metrics;
  // 1. the world model (its own step, unless skipped) on the replay batch, or on the replay and
  // expert batches together; then the replay posteriors the rest reads: the trained model's, or
  // online with tau < 1 the slow copy's
  DeviceBatch replay_batch = model_->ToDevice(replay);
  DeviceBatch expert_batch = model_->ToDevice(expert);
  const int64_t replay_size = replay_batch.action.size(0);
  DeviceBatch model_batch = replay_batch;
  if (model_with_expert && model_step != ModelStep::kObserve) {
    model_batch = model_->Join(replay_batch, expert_batch, "online_model_expert_batch");
  }
  Filtered posterior;
  if (model_step == ModelStep::kTrain) {
    posterior = FirstRows(model_->Train(model_batch, metrics), replay_size);
  } else {
    if (model_step == ModelStep::kTrainSlow) SlowModelStep(model_batch, metrics);
    posterior = model_->Observe(replay_batch);
  }
  auto [expert_features, expert_actions] =
      StateActionPairs(model_->Observe(expert_batch).features, expert_batch);

  // 2. imagination from every replay posterior (index 0 = the real state)
  const bool penalised = uncertainty_penalty_ > 0;
  Imagined imagined = Imagine(model_->dynamics(), nets_->actor, FlattenTime(posterior.posterior),
                              horizon_, penalised, generator_);
  const int64_t h = horizon_;
  torch::Tensor policy_features = imagined.features.slice(0, 0, h);
  torch::Tensor policy_actions = imagined.actions.slice(0, 0, h);

  // 3. the discriminator and the conservative reward of imagined pairs
  RewardLoss discriminator =
      reward_->Loss(expert_features, expert_actions, policy_features, policy_actions);
  torch::Tensor reward =
      ConservativeReward(discriminator.policy_reward, imagined.uncertainty, uncertainty_penalty_);

  // 4. the actor: Q_min / lambda-return mix, entropy bonus, BC on the expert pairs
  torch::Tensor q1 = Q(nets_->critic1, imagined.features, imagined.actions);
  torch::Tensor q2 = Q(nets_->critic2, imagined.features, imagined.actions);
  torch::Tensor q_min = torch::min(q1, q2);  // [H + 1, N]
  torch::Tensor returns = LambdaReturn(reward, q_min.slice(0, 0, h), q_min[h], discount_, lambda_);
  torch::Tensor weights = DiscountWeights(h, discount_, reward.options());
  torch::Tensor objective = (1.0 - lambda_) * q_min.slice(0, 0, h) + lambda_ * returns +
                            entropy_weight_ * imagined.entropy.slice(0, 0, h);
  torch::Tensor bc_nll = -nets_->actor->forward(expert_features).LogProb(expert_actions).mean();
  torch::Tensor actor_loss = -(weights * objective).mean() + bc_weight_ * bc_nll;

  // 5. the critics, on detached inputs: imagined lambda-returns of a target critic ...
  torch::Tensor feats = imagined.features.detach();
  torch::Tensor acts = imagined.actions.detach();
  torch::Tensor target_return, target_q;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor t1 = Q(nets_->target1, feats, acts);
    if (target_min_) {
      target_q = torch::min(t1, Q(nets_->target2, feats, acts));
    } else {
      const bool first = torch::randint(2, {1}, torch::kLong).item<int64_t>() == 0;
      target_q = first ? t1 : Q(nets_->target2, feats, acts);
    }
    target_return =
        LambdaReturn(reward.detach(), target_q.slice(0, 0, h), target_q[h], discount_, lambda_);
  }
  torch::Tensor model_loss = torch::zeros({}, reward.options());
  for (Mlp* critic : {&nets_->critic1, &nets_->critic2}) {
    torch::Tensor q = Q(*critic, feats.slice(0, 0, h), acts.slice(0, 0, h));
    model_loss = model_loss + (weights * 0.5 * (q - target_return).square()).mean();
  }
  // ... and real transitions (x_t, a_{t+1}) with a value-expansion target (spec 2.6)
  torch::Tensor real_loss = torch::zeros({}, reward.options());
  const int64_t batch_size = replay_batch.action.size(0);
  const int64_t steps = replay_batch.action.size(1);
  if (real_critic_weight_ > 0 && steps >= 3) {
    const int64_t pairs = steps - 2;  // t = 0 .. T - 3, as the authors
    torch::Tensor x = posterior.features.slice(1, 0, pairs);
    torch::Tensor a = replay_batch.action.slice(1, 1, pairs + 1);
    torch::Tensor mask = replay_batch.is_first.slice(1, 1, pairs + 1).logical_not().to(x.dtype());
    torch::Tensor target;
    {
      torch::NoGradGuard no_grad;
      torch::Tensor reward_data = reward_->Reward(x, a);
      // the bootstrap at x_{t+1}: the start state of the rollout from (b, t + 1)
      torch::Tensor next_q = target_q[0].reshape({batch_size, steps}).slice(1, 1, pairs + 1);
      torch::Tensor next_return =
          target_return[0].reshape({batch_size, steps}).slice(1, 1, pairs + 1);
      target = reward_data + discount_ * ((1.0 - lambda_) * next_q + lambda_ * next_return);
    }
    for (Mlp* critic : {&nets_->critic1, &nets_->critic2}) {
      real_loss = real_loss + MaskedMean(0.5 * (Q(*critic, x, a) - target).square(), mask);
    }
  }
  torch::Tensor critic_loss = model_loss + real_critic_weight_ * real_loss;

  // 6. gradients from the one graph, then the steps; the BC term's own actor gradient first
  // (a small graph: the actor on the expert pairs) to report how it weighs against the rest
  std::vector<torch::Tensor> bc_grads =
      torch::autograd::grad({bc_weight_ * bc_nll}, actor_opt_->parameters(), /*grad_outputs=*/{},
                            /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true);
  discriminator_opt_->Backward(discriminator.loss, /*retain_graph=*/true);
  actor_opt_->Backward(actor_loss);
  critic_opt_->Backward(critic_loss);
  auto [bc_grad_norm, rl_grad_norm] = SplitGradNorms(actor_opt_->parameters(), bc_grads);
  metrics["cmil_actor_bc_grad_norm"] = bc_grad_norm;
  metrics["cmil_actor_rl_grad_norm"] = rl_grad_norm;
  metrics["cmil_discriminator_grad_norm"] = discriminator_opt_->Apply();
  metrics["cmil_actor_grad_norm"] = actor_opt_->Apply();
  metrics["cmil_critic_grad_norm"] = critic_opt_->Apply();
  if (++updates_ % target_update_every_ == 0) CopyTargets();

  // metrics
  torch::NoGradGuard no_grad;
  for (const auto& [key, value] : discriminator.metrics) metrics[key] = value;
  metrics["cmil_actor_loss"] = actor_loss.item<double>();
  metrics["cmil_bc_nll"] = bc_nll.item<double>();
  metrics["cmil_critic_model_loss"] = model_loss.item<double>();
  metrics["cmil_critic_real_loss"] = real_loss.item<double>();
  metrics["cmil_reward"] = reward.mean().item<double>();
  metrics["cmil_discriminator_reward"] = discriminator.policy_reward.mean().item<double>();
  if (penalised) {
    metrics["cmil_uncertainty"] = imagined.uncertainty.slice(0, 1, h + 1).mean().item<double>();
  }
  metrics["cmil_q"] = q_min.mean().item<double>();
  metrics["cmil_return"] = returns.mean().item<double>();
  metrics["cmil_policy_entropy"] = imagined.entropy.mean().item<double>();
  return metrics;
}

// ----- acting ----- //

torch::Tensor CmilOptimizer::ChooseAction(const torch::Tensor& features, ActMode mode) {
  ActionDist policy = nets_->actor->forward(features);
  if (mode == ActMode::kEvaluate && evaluate_mode_) return policy.Mode();
  return policy.Sample(generator_);
}

// ----- checkpoints ----- //

void CmilOptimizer::SaveAgent(torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive nets;
  nets_->save(nets);
  archive.write("cmil_nets", nets);
  actor_opt_->Save(archive, "actor_adam");
  critic_opt_->Save(archive, "critic_adam");
  discriminator_opt_->Save(archive, "discriminator_adam");
  archive.write("updates", torch::tensor(updates_), /*is_buffer=*/true);
  archive.write("online_updates", torch::tensor(online_updates_), /*is_buffer=*/true);
  if (!fast_model_.empty()) {
    torch::serialize::OutputArchive fast;
    for (size_t i = 0; i < fast_model_.size(); ++i) {
      fast.write(std::to_string(i), fast_model_[i], /*is_buffer=*/true);
    }
    archive.write("fast_world_model", fast);
  }
}

void CmilOptimizer::LoadAgent(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive nets;
  archive.read("cmil_nets", nets);
  nets_->load(nets);
  nets_->to(device_);
  actor_opt_->Load(archive, "actor_adam");
  critic_opt_->Load(archive, "critic_adam");
  discriminator_opt_->Load(archive, "discriminator_adam");
  torch::Tensor updates;
  archive.read("updates", updates, /*is_buffer=*/true);
  updates_ = updates.item<int64_t>();
  torch::Tensor online_updates;  // absent from checkpoints written before the parameter existed
  online_updates_ = archive.try_read("online_updates", online_updates, /*is_buffer=*/true)
                        ? online_updates.item<int64_t>()
                        : 0;
  // the trained world model of a slow-model run (online_model_tau < 1) already online
  fast_model_.clear();
  torch::serialize::InputArchive fast;
  if (archive.try_read("fast_world_model", fast)) {
    const std::vector<torch::Tensor>& params = model_->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      torch::Tensor value;
      fast.read(std::to_string(i), value, /*is_buffer=*/true);
      fast_model_.push_back(value.to(params[i].device(), params[i].dtype()).clone());
    }
  }
}

}  // namespace imitate::plugins
