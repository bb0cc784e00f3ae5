#include "plugins/common/world_model.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <utility>

#include "imitate/sdk/errors.h"

namespace imitate::plugins {

namespace {
constexpr double kHalfLogTwoPiE = 1.41893853320467274178;  // 0.5 * log(2 pi e)
constexpr int64_t kDiagnosticStates = 64;  // start states of the disagreement diagnostic
constexpr int64_t kDiagnosticSteps = 5;    // random-action steps it imagines
}  // namespace

std::pair<torch::Tensor, torch::Tensor> StateActionPairs(const torch::Tensor& features,
                                                         const DeviceBatch& batch) {
  const int64_t steps = batch.action.size(1);
  torch::Tensor valid = batch.is_first.slice(1, 1, steps).logical_not();
  return {features.slice(1, 0, steps - 1).index({valid}),
          batch.action.slice(1, 1, steps).index({valid})};
}

torch::Tensor GaussianEntropy(const torch::Tensor& std) {
  return (std.log() + kHalfLogTwoPiE).sum(-1);
}

WorldModel::WorldModel(std::string owner, Encoder* encoder, Dynamics* dynamics, int64_t action_size,
                       torch::Device device, const OptimConfig& config)
    : owner_(std::move(owner)),
      encoder_(encoder),
      dynamics_(dynamics),
      ensemble_(dynamic_cast<EnsembleDynamics*>(dynamics)),
      keys_(encoder->Keys()),
      device_(device),
      feature_size_(dynamics->FeatureSize()),
      action_size_(action_size) {
  std::vector<torch::Tensor> parameters = encoder_->Module()->parameters();
  for (const torch::Tensor& p : dynamics_->Module()->parameters()) parameters.push_back(p);
  optimizer_ = std::make_unique<ParamOptimizer>(std::move(parameters), config);
}

// ----- batches ----- //

DeviceBatch WorldModel::ToDevice(const Batch& batch) const {
  DeviceBatch out;
  for (const std::string& key : keys_) {
    auto it = batch.observation.find(key);
    if (it == batch.observation.end()) {
      throw DataError(
          fmt::format("{}: the batch has no observation '{}', which the encoder reads (it has: {})",
                      owner_, key, KeyList(batch.observation)));
    }
    out.observation.emplace(key, it->second.to(device_));
  }
  if (!batch.action.defined() || batch.action.dim() != 3 || batch.action.size(1) < 2 ||
      batch.action.size(2) != action_size_) {
    throw DataError(fmt::format("{}: batch actions must be [B, T >= 2, {}]", owner_, action_size_));
  }
  if (!batch.is_first.defined() || batch.is_first.sizes() != batch.action.sizes().slice(0, 2)) {
    throw DataError(fmt::format("{}: batch is_first must be [B, T], like the actions", owner_));
  }
  out.action = batch.action.to(device_, torch::kFloat32);
  out.is_first = batch.is_first.to(device_);
  return out;
}

DeviceBatch WorldModel::Join(const DeviceBatch& replay, const DeviceBatch& expert,
                             const std::string& option) const {
  if (replay.action.size(1) != expert.action.size(1)) {
    throw DataError(
        fmt::format("{}: {} needs replay and expert sequences of one length (got {} and {})",
                    owner_, option, replay.action.size(1), expert.action.size(1)));
  }
  DeviceBatch out;
  for (const auto& [key, value] : replay.observation) {
    out.observation.emplace(key, torch::cat({value, expert.observation.at(key)}, 0));
  }
  out.action = torch::cat({replay.action, expert.action}, 0);
  out.is_first = torch::cat({replay.is_first, expert.is_first}, 0);
  return out;
}

Filtered FirstRows(const Filtered& filtered, int64_t n) {
  auto rows = [n](const torch::Tensor& t) { return t.defined() ? t.slice(0, 0, n) : t; };
  const LatentState& p = filtered.posterior;
  return {LatentState{rows(p.deter), rows(p.stoch), rows(p.mean), rows(p.std), rows(p.uncertainty)},
          rows(filtered.features)};
}

// ----- training ----- //

Filtered WorldModel::Train(const DeviceBatch& batch, Metrics& metrics) {
  const int64_t batch_size = batch.action.size(0);
  // filter the sequences
  torch::Tensor embedding = encoder_->Encode(batch.observation);
  ObserveOutput out = dynamics_->Observe(embedding, batch.action, batch.is_first,
                                         dynamics_->Initial(batch_size, device_));
  torch::Tensor features = dynamics_->Features(out.posterior);
  // reconstruction of every key, and the KL term
  TensorMap nll = encoder_->ReconstructionLoss(features, batch.observation);
  torch::Tensor loss = torch::zeros({}, features.options());
  for (const auto& [key, value] : nll) {
    torch::Tensor mean = value.mean();
    loss = loss + mean;
    metrics["wm_recon_" + key] = mean.item<double>();
  }
  KlOutput kl = dynamics_->KlLoss(out.posterior, out.prior);
  loss = loss + kl.loss;
  metrics["wm_grad_norm"] = optimizer_->Step(loss);
  // diagnostics
  torch::NoGradGuard no_grad;
  metrics["wm_loss"] = loss.item<double>();
  metrics["wm_kl"] = kl.value.mean().item<double>();
  metrics["wm_kl_loss"] = kl.loss.item<double>();
  metrics["wm_prior_entropy"] = GaussianEntropy(out.prior.std).mean().item<double>();
  metrics["wm_posterior_entropy"] = GaussianEntropy(out.posterior.std).mean().item<double>();
  LatentState posterior = out.posterior.Detach();
  if (ensemble_ != nullptr) AddDisagreementMetrics(posterior, metrics);
  return {posterior, features.detach()};
}

void WorldModel::AddDisagreementMetrics(const LatentState& posterior, Metrics& metrics) {
  // along the data: the disagreement of the prior at every filtered state
  metrics["wm_disagreement_data"] = ensemble_->Disagreement(posterior.deter).mean().item<double>();
  // off the data: a few steps of uniform random actions from some of the same states
  auto flat = [](const torch::Tensor& t) { return t.flatten(0, 1); };
  const int64_t n =
      std::min<int64_t>(kDiagnosticStates, posterior.deter.size(0) * posterior.deter.size(1));
  LatentState state{flat(posterior.deter).slice(0, 0, n),
                    flat(posterior.stoch).slice(0, 0, n),
                    flat(posterior.mean).slice(0, 0, n),
                    flat(posterior.std).slice(0, 0, n),
                    {}};
  for (int64_t step = 0; step < kDiagnosticSteps; ++step) {
    torch::Tensor action = torch::rand({n, action_size_}, state.deter.options()) * 2.0 - 1.0;
    state = dynamics_->ImagineStep(state, action);
  }
  metrics["wm_disagreement_random"] = ensemble_->Disagreement(state.deter).mean().item<double>();
}

Filtered WorldModel::Observe(const DeviceBatch& batch) {
  torch::NoGradGuard no_grad;
  torch::Tensor embedding = encoder_->Encode(batch.observation);
  ObserveOutput out = dynamics_->Observe(embedding, batch.action, batch.is_first,
                                         dynamics_->Initial(batch.action.size(0), device_));
  return {out.posterior, dynamics_->Features(out.posterior)};
}

// ----- acting ----- //

TensorMap WorldModel::InitialCarry(int64_t batch_size) {
  torch::NoGradGuard no_grad;
  LatentState state = dynamics_->Initial(batch_size, device_);
  return {{"deter", state.deter},
          {"stoch", state.stoch},
          {"action", torch::zeros({batch_size, action_size_}, state.deter.options())}};
}

torch::Tensor WorldModel::FilterStep(const TensorMap& observation, const torch::Tensor& is_first,
                                     TensorMap& carry) {
  torch::NoGradGuard no_grad;
  TensorMap device_observation;
  for (const std::string& key : keys_) {
    auto it = observation.find(key);
    if (it == observation.end()) {
      throw DataError(fmt::format("{}: Act got no observation '{}' (it has: {})", owner_, key,
                                  KeyList(observation)));
    }
    device_observation.emplace(key, it->second.to(device_));
  }
  torch::Tensor embedding = encoder_->Encode(device_observation);
  LatentState prev;
  prev.deter = carry.at("deter");
  prev.stoch = carry.at("stoch");
  ObserveOutput out =
      dynamics_->ObserveStep(prev, carry.at("action"), embedding, is_first.to(device_));
  carry["deter"] = out.posterior.deter;
  carry["stoch"] = out.posterior.stoch;
  return dynamics_->Features(out.posterior);
}

// ----- checkpoints ----- //

void WorldModel::Save(torch::serialize::OutputArchive& archive) const {
  optimizer_->Save(archive, "world_model_adam");
}

void WorldModel::Load(torch::serialize::InputArchive& archive) {
  optimizer_->Load(archive, "world_model_adam");
}

}  // namespace imitate::plugins
