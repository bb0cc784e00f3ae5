#include "plugins/experts/mpc/mppi.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace imitate::plugins::mpc {

int LowNoiseCount(int samples, double fraction) {
  // a small tolerance so that 0.1 * 300 counts 30, not 29
  int count = static_cast<int>(std::floor(fraction * samples + 1e-9));
  return std::clamp(count, 0, samples);
}

void DrawNoise(const PlanShape& shape, double sigma, double low_noise_fraction,
               double low_noise_scale, std::mt19937_64& rng,
               std::normal_distribution<double>& gaussian, double* noise) {
  // the first candidates at sigma, the last ones at sigma * low_noise_scale
  const int first_low = shape.samples - LowNoiseCount(shape.samples, low_noise_fraction);
  const int size = shape.SequenceSize();
  for (int n = 0; n < shape.samples; ++n) {
    const double scale = n < first_low ? sigma : sigma * low_noise_scale;
    double* eps = noise + static_cast<size_t>(n) * size;
    for (int i = 0; i < size; ++i) eps[i] = scale * gaussian(rng);
  }
}

void FilterCandidates(const PlanShape& shape, const double* mean, const double* past,
                      const double* noise, double beta, double low, double high,
                      double* candidates) {
  const int dim = shape.action_dim;
  const int size = shape.SequenceSize();
  for (int n = 0; n < shape.samples; ++n) {
    const double* eps = noise + static_cast<size_t>(n) * size;
    double* u = candidates + static_cast<size_t>(n) * size;
    for (int a = 0; a < dim; ++a) {
      // the recursion on unclipped values, each output clipped
      double previous = past[a];
      for (int h = 0; h < shape.horizon; ++h) {
        const int i = h * dim + a;
        double value = beta * (mean[i] + eps[i]) + (1.0 - beta) * previous;
        previous = value;
        u[i] = std::clamp(value, low, high);
      }
    }
  }
}

RolloutResult RolloutReturn(Environment& env, const double* actions, int horizon, int action_dim,
                            torch::Tensor& action) {
  RolloutResult result;
  float* out = action.data_ptr<float>();
  for (int h = 0; h < horizon; ++h) {
    // this step's action into the preallocated tensor
    const double* row = actions + static_cast<size_t>(h) * action_dim;
    for (int a = 0; a < action_dim; ++a) out[a] = static_cast<float>(row[a]);
    const TimeStep& step = env.Step(action);
    ++result.steps;
    result.value += step.reward;
    // a terminal step repeats its reward to the horizon; a time limit just stops
    if (step.is_terminal) {
      result.value += step.reward * (horizon - h - 1);
      break;
    }
    if (step.is_last) break;
  }
  return result;
}

double RewardWeights(const double* returns, int samples, double kappa, double* weights) {
  // the best finite return
  double best = -std::numeric_limits<double>::infinity();
  for (int n = 0; n < samples; ++n) {
    if (std::isfinite(returns[n])) best = std::max(best, returns[n]);
  }
  if (!std::isfinite(best)) {
    std::fill(weights, weights + samples, 0.0);
    return 0.0;
  }
  // exponentiated advantages and their effective sample size
  double sum = 0.0, sum_sq = 0.0;
  for (int n = 0; n < samples; ++n) {
    double w = std::isfinite(returns[n]) ? std::exp(kappa * (returns[n] - best)) : 0.0;
    weights[n] = w;
    sum += w;
    sum_sq += w * w;
  }
  return sum * sum / sum_sq;
}

void WeightedMean(const double* sequences, const double* weights, int samples, int size,
                  double* mean) {
  double total = 0.0;
  for (int n = 0; n < samples; ++n) total += weights[n];
  if (!(total > 0.0)) return;
  std::fill(mean, mean + size, 0.0);
  for (int n = 0; n < samples; ++n) {
    if (weights[n] == 0.0) continue;
    const double w = weights[n] / total;
    const double* sequence = sequences + static_cast<size_t>(n) * size;
    for (int i = 0; i < size; ++i) mean[i] += w * sequence[i];
  }
}

}  // namespace imitate::plugins::mpc
