// The base of the optimizers that act through a world model (world_model, vmail, cmil): it owns
// the WorldModel, filters observations while acting and checks the components.
#ifndef IMITATE_PLUGINS_COMMON_LATENT_AGENT_H_
#define IMITATE_PLUGINS_COMMON_LATENT_AGENT_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/params.h"
#include "plugins/common/optim.h"
#include "plugins/common/world_model.h"

namespace imitate::plugins {

class LatentAgent : public Optimizer {
 public:
  ~LatentAgent() override;

  // The parameters of the world model's optimiser (model_lr, model_eps, model_grad_clip,
  // model_weight_decay), appended to `specs` with the given defaults.
  static void AddModelSpecs(ParamSpecs& specs, const OptimConfig& defaults);

  // The online agents' `online_model_expert_batch` (default false, the papers'): online, the
  // world model's step trains on the replay and expert batches together (WorldModel::Join).
  static ParamSpec OnlineModelExpertBatchSpec();

  void Build(const AgentComponents& components) final;
  TensorMap InitialCarry(int64_t batch_size) final;
  torch::Tensor Act(const TensorMap& observation, const torch::Tensor& is_first, TensorMap& carry,
                    ActMode mode) final;
  void Save(torch::serialize::OutputArchive& archive) final;
  void Load(torch::serialize::InputArchive& archive) final;

 protected:
  // `name` is the registered name (for messages); reads the model_* parameters.
  LatentAgent(std::string name, const Params& params);

  // Builds the method's own networks (the world model exists already).
  virtual void BuildAgent(const AgentComponents& components) = 0;

  // The actions [B, A] (on the device) for posterior features [B, F], without gradients.
  virtual torch::Tensor ChooseAction(const torch::Tensor& features, ActMode mode) = 0;

  // The method's own networks and optimiser states.
  virtual void SaveAgent(torch::serialize::OutputArchive& archive) = 0;
  virtual void LoadAgent(torch::serialize::InputArchive& archive) = 0;

  // Throws UsageError when Build has not run.
  void CheckBuilt(const char* method) const;

  // The reward learner the method trains; throws ConfigError naming the missing [reward] table.
  RewardLearner* RequireReward(const AgentComponents& components) const;

  // Reads an OptimConfig from parameters `<prefix>lr`, `<prefix>eps`, ... (checked > 0).
  static OptimConfig ReadOptim(const Params& params, const std::string& prefix);
  // Appends the optimiser parameters `<prefix>lr`, ... with `defaults` to `specs`.
  static void AddOptimSpecs(ParamSpecs& specs, const std::string& prefix, const std::string& what,
                            const OptimConfig& defaults);

  std::string name_;
  std::string path_;
  OptimConfig model_optim_;
  std::unique_ptr<WorldModel> model_;
  torch::Device device_ = torch::kCPU;
  int64_t action_size_ = 0;
  at::Generator generator_;  // private: initial weights and action sampling
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_LATENT_AGENT_H_
