#include "plugins/common/optim.h"

#include <torch/torch.h>

#include <limits>
#include <utility>

#include "imitate/sdk/distributed.h"

namespace imitate::plugins {

void MoveParametersTowards(const std::vector<torch::Tensor>& source,
                           const std::vector<torch::Tensor>& target, double tau) {
  TORCH_CHECK(source.size() == target.size(), "MoveParametersTowards: ", source.size(),
              " source tensors against ", target.size(), " targets");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < source.size(); ++i) {
    torch::Tensor to = target[i];  // a handle to the same storage
    if (tau == 1.0) {
      to.copy_(source[i]);
    } else {
      to.lerp_(source[i], tau);
    }
  }
}

void AllReduceGradients(const std::vector<torch::Tensor>& parameters, Collective& collective,
                        int64_t bucket_bytes) {
  if (parameters.empty()) return;
  torch::NoGradGuard no_grad;
  // buckets of consecutive parameters of one dtype and device, up to bucket_bytes each
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const torch::Tensor& p = parameters[i];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool fits = !buckets.empty() && bytes + size <= bucket_bytes &&
                      parameters[buckets.back().front()].dtype() == p.dtype() &&
                      parameters[buckets.back().front()].device() == p.device();
    if (!fits) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(i);
    bytes += size;
  }
  // flatten: a missing gradient is zeros; one flag per parameter says whether it had one
  std::vector<torch::Tensor> flat;
  std::vector<float> has_grad(parameters.size(), 0.0f);
  for (const std::vector<size_t>& bucket : buckets) {
    std::vector<torch::Tensor> parts;
    for (size_t i : bucket) {
      const torch::Tensor& grad = parameters[i].grad();
      if (grad.defined()) has_grad[i] = 1.0f;
      parts.push_back(grad.defined()
                          ? grad.reshape({-1})
                          : torch::zeros({parameters[i].numel()}, parameters[i].options()));
    }
    flat.push_back(torch::cat(parts));
  }
  flat.push_back(torch::tensor(has_grad).to(parameters[0].device()));
  collective.AllReduceMean(flat);
  // copy back where any rank had a gradient
  torch::Tensor any_grad = flat.back().gt(0).to(torch::kCPU).contiguous();
  const bool* any = any_grad.data_ptr<bool>();
  for (size_t b = 0; b < buckets.size(); ++b) {
    int64_t offset = 0;
    for (size_t i : buckets[b]) {
      torch::Tensor p = parameters[i];
      const int64_t n = p.numel();
      if (any[i]) {
        torch::Tensor mean = flat[b].narrow(0, offset, n).view_as(p);
        if (p.grad().defined()) {
          p.mutable_grad().copy_(mean);
        } else {
          p.mutable_grad() = mean.clone();
        }
      }
      offset += n;
    }
  }
}

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

void AverageGradientsAcrossRanks(const std::vector<torch::Tensor>& parameters) {
  Collective* collective = GetCollective();
  if (collective != nullptr && collective->world_size() > 1) {
    AllReduceGradients(parameters, *collective);
  }
}

double ParamOptimizer::Apply() {
  // gradients averaged over the ranks first: every rank then clips and steps alike
  Collective* collective = collective_ != nullptr ? collective_ : GetCollective();
  if (collective != nullptr && collective->world_size() > 1) {
    AllReduceGradients(parameters_, *collective, bucket_bytes_);
  }
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
