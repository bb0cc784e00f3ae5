#include "plugins/optimizers/bc/bc_optimizer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <utility>

#include "imitate/sdk/errors.h"
#include "plugins/common/describe.h"
#include "plugins/common/optim.h"

namespace imitate::plugins {

// ----- construction ----- //

ParamSpecs BcOptimizer::Specs() {
  return {
      IntListParam("hidden", {256, 256}, "units of each hidden layer of the actor")
          .Range(1, 65536)
          .Length(0, 64),
      StringParam("activation", "elu", "activation of the actor's hidden layers")
          .Choices(MlpActivationNames()),
      FloatParam("lr", 3e-4, "Adam learning rate (> 0)").Min(0),
      FloatParam("eps", 1e-5, "Adam epsilon (> 0)").Min(0),
      FloatParam("grad_clip", 100.0, "clip gradients to this global norm (> 0)").Min(0),
      FloatParam("weight_decay", 0.0,
                 "decoupled weight decay: trained weights are scaled by (1 - weight_decay) "
                 "after each step")
          .Range(0, 1),
      FloatParam("min_std", 0.05, "lower bound of the policy's pre-tanh std (> 0)").Min(0),
      FloatParam("max_std", 1.0, "upper bound of the policy's pre-tanh std (>= min_std)").Min(0),
      BoolParam("train_encoder", true, "BC gradients also train the encoder"),
  };
}

std::unique_ptr<Optimizer> BcOptimizer::Create(const Params& params) {
  return std::make_unique<BcOptimizer>(params);
}

BcOptimizer::BcOptimizer(const Params& params)
    : path_(params.path()),
      lr_(params.Float("lr")),
      eps_(params.Float("eps")),
      grad_clip_(params.Float("grad_clip")),
      weight_decay_(params.Float("weight_decay")),
      train_encoder_(params.Bool("train_encoder")) {
  // checks the specs cannot express
  for (const char* name : {"lr", "eps", "grad_clip", "min_std"}) {
    if (params.Float(name) <= 0) params.Fail(name, "must be > 0");
  }
  if (params.Float("max_std") < params.Float("min_std")) {
    params.Fail("max_std", fmt::format("must be >= min_std ({:g})", params.Float("min_std")));
  }
  actor_config_.hidden = params.IntList("hidden");
  actor_config_.activation = params.String("activation");
  actor_config_.min_std = params.Float("min_std");
  actor_config_.max_std = params.Float("max_std");
}

BcOptimizer::~BcOptimizer() = default;

void BcOptimizer::Build(const AgentComponents& components) {
  // the components BC builds on
  if (components.encoder == nullptr) {
    throw ConfigError(path_ + ": the bc optimizer needs an encoder; add an [encoder] table");
  }
  const Space& action = components.action_space;
  if (action.dtype != torch::kFloat32 || action.shape.size() != 1) {
    throw ConfigError(fmt::format("{}: bc needs a float32 vector action space, got {}", path_,
                                  action.ToString()));
  }
  if (action.low != -1.0 || action.high != 1.0) {
    throw ConfigError(fmt::format("{}: bc's tanh policy acts in [-1, 1]; the action space is {}",
                                  path_, action.ToString()));
  }
  encoder_ = components.encoder;
  encoder_keys_ = encoder_->Keys();
  device_ = components.device;
  // the actor, initialised from a private generator seeded by the run
  generator_ = at::detail::createCPUGenerator(components.seed);
  actor_config_.input_size = encoder_->EmbeddingSize();
  actor_config_.action_size = action.shape[0];
  actor_ = Actor(actor_config_);
  actor_->ResetParameters(generator_);
  actor_->to(device_);
  // one Adam over the actor, and the encoder when BC trains it
  parameters_ = actor_->parameters();
  if (train_encoder_) {
    for (const torch::Tensor& p : encoder_->Module()->parameters()) parameters_.push_back(p);
  }
  adam_ =
      std::make_unique<torch::optim::Adam>(parameters_, torch::optim::AdamOptions(lr_).eps(eps_));
}

// ----- training ----- //

Metrics BcOptimizer::Update(Phase /*phase*/, const Batch& /*replay*/, const Batch& expert) {
  CheckBuilt("Update");
  CheckBatch(expert);
  const int64_t steps = expert.action.size(1);
  // pairs (observation[:, t], action[:, t + 1]) for t = 0 .. T - 2, minus episode starts
  TensorMap observation;
  for (const std::string& key : encoder_keys_) {
    observation.emplace(key, expert.observation.at(key).slice(1, 0, steps - 1).to(device_));
  }
  torch::Tensor target = expert.action.slice(1, 1, steps).to(device_, torch::kFloat32);
  torch::Tensor mask =
      expert.is_first.slice(1, 1, steps).logical_not().to(device_, torch::kFloat32);
  torch::Tensor count = mask.sum().clamp_min(1.0);
  // embeddings, with encoder gradients only when BC trains the encoder
  torch::Tensor embedding;
  if (train_encoder_) {
    embedding = encoder_->Encode(observation);
  } else {
    torch::NoGradGuard no_grad;
    embedding = encoder_->Encode(observation);
  }
  // negative log-likelihood of the expert actions
  ActionDist policy = actor_->forward(embedding);
  torch::Tensor loss = -(policy.LogProb(target) * mask).sum() / count;
  // step: clip by global norm, Adam, decoupled weight decay
  adam_->zero_grad();
  loss.backward();
  AverageGradientsAcrossRanks(parameters_);  // data-parallel runs: every rank steps alike
  double grad_norm = torch::nn::utils::clip_grad_norm_(parameters_, grad_clip_);
  adam_->step();
  if (weight_decay_ > 0) {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : parameters_) {
      if (p.grad().defined()) p.mul_(1.0 - weight_decay_);
    }
  }
  // metrics
  torch::NoGradGuard no_grad;
  torch::Tensor std = (policy.std.mean(-1) * mask).sum() / count;
  torch::Tensor mse = ((policy.Mode() - target).square().mean(-1) * mask).sum() / count;
  return {{"bc_loss", loss.item<double>()},
          {"policy_std", std.item<double>()},
          {"action_mse", mse.item<double>()},
          {"grad_norm", grad_norm}};
}

// ----- acting ----- //

TensorMap BcOptimizer::InitialCarry(int64_t /*batch_size*/) { return {}; }

torch::Tensor BcOptimizer::Act(const TensorMap& observation, const torch::Tensor& is_first,
                               TensorMap& /*carry*/, ActMode mode) {
  CheckBuilt("Act");
  torch::NoGradGuard no_grad;
  // the encoder's keys on the device, in a map whose nodes are reused between calls
  for (const std::string& key : encoder_keys_) {
    auto it = observation.find(key);
    if (it == observation.end()) {
      throw DataError(
          fmt::format("bc: Act got no observation '{}' (it has: {})", key, KeyList(observation)));
    }
    device_observation_[key] = it->second.to(device_);
  }
  torch::Tensor embedding = encoder_->Encode(device_observation_);
  for (auto& entry : device_observation_) entry.second = torch::Tensor();
  // the mode when evaluated, a sample when exploring
  ActionDist policy = actor_->forward(embedding);
  torch::Tensor action = mode == ActMode::kEvaluate ? policy.Mode() : policy.Sample(generator_);
  IMITATE_CHECK(action.size(0) == is_first.size(0), "bc: Act's batch sizes differ");
  return action.to(torch::kCPU);
}

// ----- checkpoints ----- //

void BcOptimizer::Save(torch::serialize::OutputArchive& archive) {
  CheckBuilt("Save");
  torch::serialize::OutputArchive actor_archive;
  actor_->save(actor_archive);
  archive.write("actor", actor_archive);
  torch::serialize::OutputArchive adam_archive;
  adam_->save(adam_archive);
  archive.write("adam", adam_archive);
  archive.write("generator", generator_.get_state(), /*is_buffer=*/true);
}

void BcOptimizer::Load(torch::serialize::InputArchive& archive) {
  CheckBuilt("Load");
  try {
    torch::serialize::InputArchive actor_archive;
    archive.read("actor", actor_archive);
    actor_->load(actor_archive);
    actor_->to(device_);
    torch::serialize::InputArchive adam_archive;
    archive.read("adam", adam_archive);
    adam_->load(adam_archive);
    torch::Tensor state;
    archive.read("generator", state, /*is_buffer=*/true);
    generator_.set_state(state);
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("bc: cannot restore the optimizer from the checkpoint: {}",
                                e.what_without_backtrace()));
  }
}

// ----- checks ----- //

void BcOptimizer::CheckBuilt(const char* method) const {
  if (!actor_) throw UsageError(fmt::format("bc: {} called before Build", method));
}

void BcOptimizer::CheckBatch(const Batch& batch) const {
  for (const std::string& key : encoder_keys_) {
    if (batch.observation.count(key) == 0) {
      throw DataError(fmt::format(
          "bc: the expert batch has no observation '{}', which the encoder reads (it has: {}); "
          "set encoder.keys to observations the demos contain",
          key, KeyList(batch.observation)));
    }
  }
  if (!batch.action.defined() || batch.action.dim() != 3 ||
      batch.action.size(2) != actor_config_.action_size) {
    throw DataError(
        fmt::format("bc: expert actions must be [B, T, {}]", actor_config_.action_size));
  }
  if (batch.action.size(1) < 2) {
    throw DataError("bc: expert windows need T >= 2 steps to pair observations with actions");
  }
  if (!batch.is_first.defined() || batch.is_first.sizes() != batch.action.sizes().slice(0, 2)) {
    throw DataError("bc: expert is_first must be [B, T], like the actions");
  }
}

}  // namespace imitate::plugins
