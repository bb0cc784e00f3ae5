#include "plugins/common/latent_agent.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <utility>

#include "imitate/sdk/errors.h"

namespace imitate::plugins {

// ----- parameters ----- //

void LatentAgent::AddOptimSpecs(ParamSpecs& specs, const std::string& prefix,
                                const std::string& what, const OptimConfig& defaults) {
  specs.push_back(
      FloatParam(prefix + "lr", defaults.lr, "Adam learning rate of the " + what).Min(0));
  specs.push_back(FloatParam(prefix + "eps", defaults.eps, "Adam epsilon of the " + what).Min(0));
  specs.push_back(FloatParam(prefix + "grad_clip", defaults.grad_clip,
                             "global gradient-norm clip of the " + what + " (0: none)")
                      .Min(0));
  specs.push_back(FloatParam(prefix + "weight_decay", defaults.weight_decay,
                             "decoupled weight decay of the " + what +
                                 " (weights scaled by 1 - wd after each step)")
                      .Range(0, 1));
}

void LatentAgent::AddModelSpecs(ParamSpecs& specs, const OptimConfig& defaults) {
  AddOptimSpecs(specs, "model_", "world model (encoder, decoder, dynamics)", defaults);
}

ParamSpec LatentAgent::OnlineModelExpertBatchSpec() {
  return BoolParam("online_model_expert_batch", false,
                   "online, the world model trains on the replay batch and the expert batch "
                   "together, so at least half of its sequences are demos (false: the replay "
                   "batch alone, as the paper's code does)");
}

OptimConfig LatentAgent::ReadOptim(const Params& params, const std::string& prefix) {
  for (const char* name : {"lr", "eps"}) {
    if (params.Float(prefix + name) <= 0) params.Fail(prefix + name, "must be > 0");
  }
  OptimConfig config;
  config.lr = params.Float(prefix + "lr");
  config.eps = params.Float(prefix + "eps");
  config.grad_clip = params.Float(prefix + "grad_clip");
  config.weight_decay = params.Float(prefix + "weight_decay");
  return config;
}

LatentAgent::LatentAgent(std::string name, const Params& params)
    : name_(std::move(name)), path_(params.path()), model_optim_(ReadOptim(params, "model_")) {}

LatentAgent::~LatentAgent() = default;

// ----- building ----- //

void LatentAgent::Build(const AgentComponents& components) {
  if (components.encoder == nullptr || components.dynamics == nullptr) {
    throw ConfigError(
        fmt::format("{}: the {} optimizer needs an encoder and a dynamics model; add [encoder] and "
                    "[dynamics] tables",
                    path_, name_));
  }
  const Space& action = components.action_space;
  if (action.dtype != torch::kFloat32 || action.shape.size() != 1 || action.low != -1.0 ||
      action.high != 1.0) {
    throw ConfigError(fmt::format("{}: {} needs float32 vector actions in [-1, 1], got {}", path_,
                                  name_, action.ToString()));
  }
  device_ = components.device;
  action_size_ = action.shape[0];
  generator_ = at::detail::createCPUGenerator(components.seed);
  model_ = std::make_unique<WorldModel>(name_, components.encoder, components.dynamics,
                                        action_size_, device_, model_optim_);
  BuildAgent(components);
}

void LatentAgent::CheckBuilt(const char* method) const {
  if (!model_) throw UsageError(fmt::format("{}: {} called before Build", name_, method));
}

RewardLearner* LatentAgent::RequireReward(const AgentComponents& components) const {
  if (components.reward == nullptr) {
    throw ConfigError(fmt::format(
        "{}: {} needs a reward learner; add a [reward] table (kind = \"discriminator\")", path_,
        name_));
  }
  return components.reward;
}

// ----- acting ----- //

TensorMap LatentAgent::InitialCarry(int64_t batch_size) {
  CheckBuilt("InitialCarry");
  return model_->InitialCarry(batch_size);
}

torch::Tensor LatentAgent::Act(const TensorMap& observation, const torch::Tensor& is_first,
                               TensorMap& carry, ActMode mode) {
  CheckBuilt("Act");
  torch::NoGradGuard no_grad;
  torch::Tensor features = model_->FilterStep(observation, is_first, carry);
  torch::Tensor action = ChooseAction(features, mode);
  carry["action"] = action;
  return action.to(torch::kCPU, torch::kFloat32);
}

// ----- checkpoints ----- //

void LatentAgent::Save(torch::serialize::OutputArchive& archive) {
  CheckBuilt("Save");
  model_->Save(archive);
  archive.write("generator", generator_.get_state(), /*is_buffer=*/true);
  SaveAgent(archive);
}

void LatentAgent::Load(torch::serialize::InputArchive& archive) {
  CheckBuilt("Load");
  try {
    model_->Load(archive);
    torch::Tensor state;
    archive.read("generator", state, /*is_buffer=*/true);
    generator_.set_state(state);
    LoadAgent(archive);
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: cannot restore the optimizer from the checkpoint: {}", name_,
                                e.what_without_backtrace()));
  }
}

}  // namespace imitate::plugins
