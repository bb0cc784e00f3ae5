// One optimiser over a list of parameters, stepped from a loss: the recipe every network of the
// world-model agents uses (Adam with epsilon, global-norm clipping, decoupled weight decay).
#ifndef IMITATE_PLUGINS_COMMON_OPTIM_H_
#define IMITATE_PLUGINS_COMMON_OPTIM_H_

#include <torch/types.h>

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

namespace imitate::plugins {

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

  // Clips the gradients Backward stored, takes one Adam step, applies the decay and drops the
  // gradients. Returns the gradient norm before clipping.
  double Apply();

  // Optimiser state (moments, step counts) under `name` in `archive`.
  void Save(torch::serialize::OutputArchive& archive, const std::string& name) const;
  void Load(torch::serialize::InputArchive& archive, const std::string& name);

  const std::vector<torch::Tensor>& parameters() const { return parameters_; }

 private:
  std::vector<torch::Tensor> parameters_;
  OptimConfig config_;
  std::unique_ptr<torch::optim::Adam> adam_;
};

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_OPTIM_H_
