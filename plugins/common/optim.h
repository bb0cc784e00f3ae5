// One optimiser over a list of parameters, stepped from a loss: the recipe every network of the
// world-model agents uses (Adam with epsilon, global-norm clipping, decoupled weight decay).
// In a run of several ranks (imitate::GetCollective()), gradients are averaged across the
// ranks before the clipping, so every rank takes the same step.
#ifndef IMITATE_PLUGINS_COMMON_OPTIM_H_
#define IMITATE_PLUGINS_COMMON_OPTIM_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace torch::optim {
class Adam;
}  // namespace torch::optim
namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace imitate {
class Collective;
}  // namespace imitate

namespace imitate::plugins {

// Gradient buckets of about this size are averaged with one reduction each.
constexpr int64_t kGradientBucketBytes = 25 << 20;

// Averages the gradients of `parameters` over the ranks of `collective`: the gradients are
// flattened into contiguous buckets of at most `bucket_bytes` (one tensor larger than that gets
// a bucket of its own), each bucket is averaged with one reduction and copied back. A missing
// gradient counts as zeros; a parameter that has no gradient on any rank keeps none (Adam then
// skips it, as in one process).
void AllReduceGradients(const std::vector<torch::Tensor>& parameters, Collective& collective,
                        int64_t bucket_bytes = kGradientBucketBytes);

// AllReduceGradients over the process's collective (GetCollective()) when the run has several
// ranks; nothing in one process. For optimisers that step without a ParamOptimizer.
void AverageGradientsAcrossRanks(const std::vector<torch::Tensor>& parameters);

// Moves each tensor of `target` towards its twin in `source` (the same layout, e.g. two modules'
// parameters()): target <- (1 - tau) target + tau source, outside autograd; tau = 1 is an
// exact copy (target networks), tau < 1 a Polyak average.
void MoveParametersTowards(const std::vector<torch::Tensor>& source,
                           const std::vector<torch::Tensor>& target, double tau);

// Adam settings as the DreamerV2 family writes them.
struct OptimConfig {
  double lr = 3e-4;
  double eps = 1e-5;
  double grad_clip = 100.0;   // global gradient norm (<= 0: no clipping)
  double weight_decay = 0.0;  // weights scaled by (1 - weight_decay) after each step
};

class ParamOptimizer {
 public:
  ParamOptimizer(std::vector<torch::Tensor> parameters, const OptimConfig& config);
  ~ParamOptimizer();

  // Backward then Apply.
  double Step(const torch::Tensor& loss, bool retain_graph = false);

  // Gradients of `loss` with respect to these parameters only (other networks the loss passes
  // through get none). `retain_graph` keeps the graph for another loss. Several optimisers can
  // take their gradients from one graph before any of them applies a step (as a TF tape does).
  void Backward(const torch::Tensor& loss, bool retain_graph = false);

  // Averages the gradients Backward stored across the ranks (when there are several), clips
  // them, takes one Adam step, applies the decay and drops the gradients. Returns the gradient
  // norm before clipping.
  double Apply();

  // Averages gradients over `collective` instead of the process's GetCollective() (tests that
  // run several ranks as threads of one process); null: back to GetCollective().
  void UseCollective(Collective* collective, int64_t bucket_bytes = kGradientBucketBytes) {
    collective_ = collective;
    bucket_bytes_ = bucket_bytes;
  }

  // Optimiser state (moments, step counts) under `name` in `archive`.
  void Save(torch::serialize::OutputArchive& archive, const std::string& name) const;
  void Load(torch::serialize::InputArchive& archive, const std::string& name);

  const std::vector<torch::Tensor>& parameters() const { return parameters_; }

 private:
  std::vector<torch::Tensor> parameters_;
  OptimConfig config_;
  std::unique_ptr<torch::optim::Adam> adam_;
  Collective* collective_ = nullptr;  // null: GetCollective()
  int64_t bucket_bytes_ = kGradientBucketBytes;
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_OPTIM_H_
