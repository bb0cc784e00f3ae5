// The world model the latent agents share: an encoder (with its decoder) and a dynamics model,
// trained together on replay sequences, and filtering observations while acting.
#ifndef IMITATE_PLUGINS_COMMON_WORLD_MODEL_H_
#define IMITATE_PLUGINS_COMMON_WORLD_MODEL_H_

#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/optimizer.h"
#include "plugins/common/describe.h"
#include "plugins/common/optim.h"

namespace imitate::plugins {

// A batch on the device, holding what the world model reads.
struct DeviceBatch {
  TensorMap observation;   // the encoder's keys, storage dtype
  torch::Tensor action;    // float32 [B, T, A]
  torch::Tensor is_first;  // bool [B, T]
};

// Posteriors of a filtered batch.
struct Filtered {
  LatentState posterior;   // [B, T, ...]
  torch::Tensor features;  // [B, T, F]
};

// Rows [0, n) of a filtered batch (every defined tensor of the posterior, and the features).
Filtered FirstRows(const Filtered& filtered, int64_t n);

class WorldModel {
 public:
  // `owner` names the optimizer in messages. The components are built and outlive this object.
  WorldModel(std::string owner, Encoder* encoder, Dynamics* dynamics, int64_t action_size,
             torch::Device device, const OptimConfig& config);

  // Moves what the model reads to the device; throws DataError for a batch without the
  // encoder's keys or with bad shapes.
  DeviceBatch ToDevice(const Batch& batch) const;

  // The replay and expert sequences as one batch [B_R + B_E, T, ...], for a model step on both;
  // throws DataError naming `option` when their lengths differ.
  DeviceBatch Join(const DeviceBatch& replay, const DeviceBatch& expert,
                   const std::string& option) const;

  // One training step on `batch`: reconstruction NLL (summed over each key's elements, mean
  // over [B, T]) + the dynamics' KL term. Returns the posteriors detached; adds wm_* metrics.
  Filtered Train(const DeviceBatch& batch, Metrics& metrics);

  // Filters `batch` without gradients.
  Filtered Observe(const DeviceBatch& batch);

  // Acting: the recurrent carry {deter, stoch, action} for `batch_size` episodes, and one
  // filtering step that updates it and returns the posterior features [B, F]. The caller stores
  // the action it takes in carry["action"].
  TensorMap InitialCarry(int64_t batch_size);
  torch::Tensor FilterStep(const TensorMap& observation, const torch::Tensor& is_first,
                           TensorMap& carry);

  // The model's optimiser state.
  void Save(torch::serialize::OutputArchive& archive) const;
  void Load(torch::serialize::InputArchive& archive);

  // The trained parameters: the encoder's (decoder included), then the dynamics'.
  const std::vector<torch::Tensor>& parameters() const { return optimizer_->parameters(); }
  Encoder& encoder() { return *encoder_; }
  Dynamics& dynamics() { return *dynamics_; }
  // The ensemble interface, or null when the dynamics has none.
  EnsembleDynamics* ensemble() { return ensemble_; }
  int64_t feature_size() const { return feature_size_; }
  int64_t action_size() const { return action_size_; }
  torch::Device device() const { return device_; }

 private:
  // Ensemble disagreement along the data and after random actions (diagnostics).
  void AddDisagreementMetrics(const LatentState& posterior, Metrics& metrics);

  std::string owner_;
  Encoder* encoder_;
  Dynamics* dynamics_;
  EnsembleDynamics* ensemble_;
  std::vector<std::string> keys_;
  torch::Device device_;
  int64_t feature_size_ = 0;
  int64_t action_size_ = 0;
  std::unique_ptr<ParamOptimizer> optimizer_;
};

// The (state, action taken from it) pairs of a filtered batch: features[:, t] with
// action[:, t + 1] for t = 0 .. T - 2, minus the pairs whose action starts an episode.
// Returns features [N, F] and actions [N, A].
std::pair<torch::Tensor, torch::Tensor> StateActionPairs(const torch::Tensor& features,
                                                         const DeviceBatch& batch);

// Entropy of a diagonal Gaussian with standard deviations `std` [..., S], summed over S.
torch::Tensor GaussianEntropy(const torch::Tensor& std);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_WORLD_MODEL_H_
