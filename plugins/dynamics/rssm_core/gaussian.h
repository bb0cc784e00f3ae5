// Diagonal Gaussian latents of the RSSMs: std parameterisations, sampling, KL and the KL loss.
#ifndef IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_GAUSSIAN_H_
#define IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_GAUSSIAN_H_

#include <torch/types.h>

#include "imitate/sdk/dynamics.h"

namespace imitate::plugins {

// How a head's raw std output becomes a standard deviation (before adding min_std).
//  - softplus: softplus(raw)              (Dreamer v1, V-MAIL, LOMPO)
//  - sigmoid2: 2 * sigmoid(raw / 2)       (DreamerV2, CMIL); std in (min_std, min_std + 2)
enum class StdKind { kSoftplus, kSigmoid2 };

// A diagonal Gaussian [..., S].
struct Gaussian {
  torch::Tensor mean;
  torch::Tensor std;
};

// The std of a raw head output: f(raw) + min_std, f from `kind`.
torch::Tensor StdFromRaw(const torch::Tensor& raw, StdKind kind, double min_std);

// A head's output [..., 2S] split into mean (first half) and std (second half, through
// StdFromRaw).
Gaussian GaussianFromRaw(const torch::Tensor& raw, StdKind kind, double min_std);

// A reparameterised sample mean + std * noise, with `noise` ~ N(0, 1) of mean's shape.
inline torch::Tensor Reparameterise(const Gaussian& g, const torch::Tensor& noise) {
  return torch::addcmul(g.mean, g.std, noise);
}

// Closed-form KL(q || p) of diagonal Gaussians, summed over the last dim -> [...]:
//   sum_j [ log(sp_j / sq_j) + (sq_j^2 + (mq_j - mp_j)^2) / (2 sp_j^2) - 1/2 ].
torch::Tensor GaussianKl(const torch::Tensor& q_mean, const torch::Tensor& q_std,
                         const torch::Tensor& p_mean, const torch::Tensor& p_std);

// How the KL term of the world-model loss is formed from KL(q || p) per step.
struct KlConfig {
  double free_nats = 0.0;  // lower clamp; its branch has zero gradient
  // false: max(free, mean KL) over the batch (Dreamer v1, DreamerV2 `free_avg`, V-MAIL, CMIL);
  // true: mean over the batch of max(free, KL) per step.
  bool free_per_step = false;
  // 0: plain KL(q || p). Otherwise KL balancing (DreamerV2): the prior is trained with weight
  // `balance` through KL(sg(q) || p) and the posterior with 1 - balance through KL(q || sg(p)),
  // each clamped at `free_nats` separately.
  double balance = 0.0;
  double scale = 1.0;  // multiplies the loss
};

// The KL loss between posterior and prior states (mean and std used; any leading dims).
// `value` is KL(q || p) per step, detached, for logging.
KlOutput KlLoss(const LatentState& posterior, const LatentState& prior, const KlConfig& config);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_DYNAMICS_RSSM_CORE_GAUSSIAN_H_
