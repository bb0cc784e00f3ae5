// The pure steps of PDDM's MPPI ("filtering and reward-weighted refinement"): noise, filtered
// candidates, one candidate's return, reward weights and the weighted mean. No threads, no
// simulator state: the `mpc` expert strings them together (see README.md).
#ifndef IMITATE_PLUGINS_EXPERTS_MPC_MPPI_H_
#define IMITATE_PLUGINS_EXPERTS_MPC_MPPI_H_

#include <torch/types.h>

#include <random>

#include "imitate/sdk/environment.h"

namespace imitate::plugins::mpc {

// The sizes of one plan: candidates, steps per candidate, action size. Sequences are stored
// row-major: element (n, h, a) of a [samples, horizon, action_dim] buffer is at
// (n * horizon + h) * action_dim + a.
struct PlanShape {
  int samples = 0;
  int horizon = 0;
  int action_dim = 0;

  int SequenceSize() const { return horizon * action_dim; }
  int TotalSize() const { return samples * horizon * action_dim; }
};

// How many of `samples` candidates (the last ones) use the low noise scale: floor(f * samples).
int LowNoiseCount(int samples, double fraction);

// Draws eps ~ N(0, sigma^2) for every element of `noise` [samples, horizon, action_dim], with
// sigma * low_noise_scale for the last LowNoiseCount(samples, low_noise_fraction) candidates.
// The draws come from `rng` in buffer order, so a seed fixes them on any thread count.
void DrawNoise(const PlanShape& shape, double sigma, double low_noise_fraction,
               double low_noise_scale, std::mt19937_64& rng,
               std::normal_distribution<double>& gaussian, double* noise);

// PDDM's filter, for each candidate n (mean [horizon, action_dim], past [action_dim]):
//   u_0 = beta * (mean_0 + eps_0) + (1 - beta) * past
//   u_h = beta * (mean_h + eps_h) + (1 - beta) * u_{h-1}
// The recursion runs on the unclipped values; each u is clipped to [low, high] when written to
// `candidates` [samples, horizon, action_dim] (as PDDM clips after filtering).
void FilterCandidates(const PlanShape& shape, const double* mean, const double* past,
                      const double* noise, double beta, double low, double high,
                      double* candidates);

// What a candidate's rollout adds up. `steps` counts Step calls (the last one may have ended
// the episode).
struct RolloutResult {
  double value = 0.0;
  int steps = 0;
};

// Steps `env` (already set to the start state) through `actions` [horizon, action_dim],
// writing each row into `action` (float32 [action_dim], preallocated; its data is overwritten)
// and summing TimeStep::reward. A terminal step is absorbing: its reward is counted again for
// each remaining step of the horizon. A time-limit end (is_last without is_terminal) stops the
// sum there. Steps only the environment's own calls: no allocation here.
RolloutResult RolloutReturn(Environment& env, const double* actions, int horizon, int action_dim,
                            torch::Tensor& action);

// Reward weights w_n = exp(kappa * (R_n - max R)) over `samples` returns; a non-finite return
// gets weight 0. Returns the effective sample size (sum w)^2 / sum w^2, or 0 when no return is
// finite (then every weight is 0).
double RewardWeights(const double* returns, int samples, double kappa, double* weights);

// mean = sum_n w_n * sequence_n / sum_n w_n over `samples` sequences of `size` values. Leaves
// `mean` unchanged when the weights sum to 0.
void WeightedMean(const double* sequences, const double* weights, int samples, int size,
                  double* mean);

}  // namespace imitate::plugins::mpc

#endif  // IMITATE_PLUGINS_EXPERTS_MPC_MPPI_H_
