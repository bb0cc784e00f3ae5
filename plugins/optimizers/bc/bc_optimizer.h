// The `bc` optimizer: behaviour cloning of the demos with a tanh-Gaussian actor.
#ifndef IMITATE_PLUGINS_OPTIMIZERS_BC_BC_OPTIMIZER_H_
#define IMITATE_PLUGINS_OPTIMIZERS_BC_BC_OPTIMIZER_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/params.h"
#include "plugins/common/policy.h"

namespace torch::optim {
class Adam;
}  // namespace torch::optim

namespace imitate::plugins {

// Trains an actor on the encoder's embeddings to maximise the likelihood of the expert's
// actions. Every phase trains on the expert batch only; the replay batch is ignored.
//
//   expert observation[:, t] --> ENCODER --> embedding --> ACTOR --> tanh-Gaussian
//   loss = mean over valid t of -log pi(expert action[:, t + 1] | embedding)
class BcOptimizer final : public Optimizer {
 public:
  // The declared parameters of the [optimizer] table.
  static ParamSpecs Specs();

  // Makes an unbuilt optimizer; throws ConfigError for values the specs cannot check.
  static std::unique_ptr<Optimizer> Create(const Params& params);

  explicit BcOptimizer(const Params& params);
  ~BcOptimizer() override;

  void Build(const AgentComponents& components) override;
  Metrics Update(Phase phase, const Batch& replay, const Batch& expert) override;
  TensorMap InitialCarry(int64_t batch_size) override;
  torch::Tensor Act(const TensorMap& observation, const torch::Tensor& is_first, TensorMap& carry,
                    ActMode mode) override;
  void Save(torch::serialize::OutputArchive& archive) override;
  void Load(torch::serialize::InputArchive& archive) override;

 private:
  // Throws UsageError when Build has not run.
  void CheckBuilt(const char* method) const;

  // Throws DataError when `batch` lacks a key the encoder reads or has a bad shape.
  void CheckBatch(const Batch& batch) const;

  // parameters
  std::string path_;
  ActorConfig actor_config_;
  double lr_ = 3e-4;
  double eps_ = 1e-5;
  double grad_clip_ = 100.0;
  double weight_decay_ = 0.0;
  bool train_encoder_ = true;

  // built state
  Encoder* encoder_ = nullptr;
  std::vector<std::string> encoder_keys_;  // the observation keys the encoder reads
  torch::Device device_ = torch::kCPU;
  Actor actor_{nullptr};
  std::vector<torch::Tensor> parameters_;  // what Adam trains (actor, and encoder if trained)
  std::unique_ptr<torch::optim::Adam> adam_;
  at::Generator generator_;       // private: initial weights and exploration noise
  TensorMap device_observation_;  // Act's reused map of observations moved to the device
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_OPTIMIZERS_BC_BC_OPTIMIZER_H_
