#include "plugins/common/optim.h"

#include <torch/torch.h>

#include <limits>
#include <utility>

namespace imitate::plugins {

ParamOptimizer::ParamOptimizer(std::vector<torch::Tensor> parameters, const OptimConfig& config)
    : parameters_(std::move(parameters)), config_(config) {
  adam_ = std::make_unique<torch::optim::Adam>(
      parameters_, torch::optim::AdamOptions(config_.lr).eps(config_.eps));
}

ParamOptimizer::~ParamOptimizer() = default;

double ParamOptimizer::Step(const torch::Tensor& loss, bool retain_graph) {
  Backward(loss, retain_graph);
  return Apply();
}

void ParamOptimizer::Backward(const torch::Tensor& loss, bool retain_graph) {
  // gradients for these parameters only; unused ones get none
  std::vector<torch::Tensor> grads =
      torch::autograd::grad({loss}, parameters_, /*grad_outputs=*/{}, retain_graph,
                            /*create_graph=*/false, /*allow_unused=*/true);
  for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].mutable_grad() = grads[i];
}

double ParamOptimizer::Apply() {
  const double max_norm =
      config_.grad_clip > 0 ? config_.grad_clip : std::numeric_limits<double>::infinity();
  const double norm = torch::nn::utils::clip_grad_norm_(parameters_, max_norm);
  adam_->step();
  // decoupled weight decay, then drop the gradients
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : parameters_) {
    if (config_.weight_decay > 0 && p.grad().defined()) p.mul_(1.0 - config_.weight_decay);
    p.mutable_grad() = torch::Tensor();
  }
  return norm;
}

void ParamOptimizer::Save(torch::serialize::OutputArchive& archive, const std::string& name) const {
  torch::serialize::OutputArchive inner;
  adam_->save(inner);
  archive.write(name, inner);
}

void ParamOptimizer::Load(torch::serialize::InputArchive& archive, const std::string& name) {
  torch::serialize::InputArchive inner;
  archive.read(name, inner);
  adam_->load(inner);
}

}  // namespace imitate::plugins
