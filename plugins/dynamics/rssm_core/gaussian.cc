#include "plugins/dynamics/rssm_core/gaussian.h"

#include <torch/torch.h>

namespace imitate::plugins {

namespace {

// the loss of one KL tensor [...]: free nats on the batch mean or per step
torch::Tensor FreeClamped(const torch::Tensor& kl, const KlConfig& config) {
  if (config.free_per_step) return kl.clamp_min(config.free_nats).mean();
  return kl.mean().clamp_min(config.free_nats);
}

}  // namespace

torch::Tensor StdFromRaw(const torch::Tensor& raw, StdKind kind, double min_std) {
  switch (kind) {
    case StdKind::kSoftplus:
      return torch::softplus(raw) + min_std;
    case StdKind::kSigmoid2:
      return 2.0 * torch::sigmoid(raw * 0.5) + min_std;
  }
  return raw;  // unreachable
}

Gaussian GaussianFromRaw(const torch::Tensor& raw, StdKind kind, double min_std) {
  std::vector<torch::Tensor> halves = raw.chunk(2, -1);
  return {halves[0], StdFromRaw(halves[1], kind, min_std)};
}

torch::Tensor GaussianKl(const torch::Tensor& q_mean, const torch::Tensor& q_std,
                         const torch::Tensor& p_mean, const torch::Tensor& p_std) {
  // 0.5 * (r + d - 1 - log r) with r = (sq / sp)^2 and d = ((mq - mp) / sp)^2
  torch::Tensor ratio = (q_std / p_std).square();
  torch::Tensor distance = ((q_mean - p_mean) / p_std).square();
  return 0.5 * (ratio + distance - 1.0 - ratio.log()).sum(-1);
}

KlOutput KlLoss(const LatentState& posterior, const LatentState& prior, const KlConfig& config) {
  const LatentState& q = posterior;
  const LatentState& p = prior;
  // plain KL(q || p)
  if (config.balance == 0.0) {
    torch::Tensor kl = GaussianKl(q.mean, q.std, p.mean, p.std);
    return {config.scale * FreeClamped(kl, config), kl.detach()};
  }
  // balanced: the posterior learns through lhs, the prior through rhs (equal values)
  torch::Tensor lhs = GaussianKl(q.mean, q.std, p.mean.detach(), p.std.detach());
  torch::Tensor rhs = GaussianKl(q.mean.detach(), q.std.detach(), p.mean, p.std);
  torch::Tensor loss =
      (1.0 - config.balance) * FreeClamped(lhs, config) + config.balance * FreeClamped(rhs, config);
  return {config.scale * loss, lhs.detach()};
}

}  // namespace imitate::plugins
