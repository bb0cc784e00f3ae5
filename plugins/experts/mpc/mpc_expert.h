// The `mpc` expert: PDDM's MPPI with filtering and reward-weighted refinement, planned on
// copies of any environment that implements imitate::PlanningEnvironment.
#ifndef IMITATE_PLUGINS_EXPERTS_MPC_MPC_EXPERT_H_
#define IMITATE_PLUGINS_EXPERTS_MPC_MPC_EXPERT_H_

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/params.h"
#include "plugins/experts/mpc/mppi.h"
#include "plugins/experts/mpc/worker_pool.h"

namespace imitate::plugins::mpc {

// Per control step: shift the mean plan (warm start), then `iterations` times draw noisy
// candidates, filter them, roll each out from the live state on a planning copy, and set the
// mean to their reward-weighted average; act mean[0]. Rollouts run on a persistent pool of
// threads, one planning copy each; all randomness is drawn on the calling thread, so a seed
// gives the same actions on any number of threads.
class MpcExpert final : public Expert {
 public:
  // What the last control step found (for logs and tests).
  struct Stats {
    double plan_return = 0.0;        // weighted mean of the candidates' returns (last iteration)
    double best_return = 0.0;        // best candidate's return (last iteration)
    double effective_samples = 0.0;  // (sum w)^2 / sum w^2 (last iteration)
    double seconds = 0.0;            // wall time of the whole control step
  };

  // The declared parameters (samples, horizon, kappa, sigma, beta, ...).
  static ParamSpecs Specs();
  // Makes the expert from validated parameters.
  static std::unique_ptr<Expert> Create(const Params& params);

  explicit MpcExpert(const Params& params);
  ~MpcExpert() override;

  // Generic: any environment that implements PlanningEnvironment.
  std::vector<std::string> SupportedEnvironments() const override { return {"*"}; }
  // Makes fresh planning copies of `env` (the threads once) and clears the plan. Throws ConfigError
  // when `env` does not implement PlanningEnvironment.
  void Reset(Environment& env, const TimeStep& first, uint64_t seed) override;
  torch::Tensor Act(Environment& env, const TimeStep& current) override;

  const Stats& last_stats() const { return stats_; }
  // Workers actually used (threads, or all cores, capped by samples).
  int workers() const { return pool_ ? pool_->size() : 0; }

 private:
  // planning copies, per-worker action tensors, the pool (once) and the plan buffers for `env`
  void Prepare(Environment& env);
  // one refinement pass: noise, filter, rollouts, weights, new mean
  void Refine();
  // a worker's share of the rollouts (candidates taken from a shared counter)
  void RolloutWorker(int worker);

  // parameters
  int samples_;
  int horizon_;
  double kappa_;
  double sigma_;
  double beta_;
  double low_noise_fraction_;
  double low_noise_scale_;
  int iterations_;
  int threads_;
  double action_noise_;
  int64_t verbose_;

  // the environment the copies were made from, and its action box
  const Environment* env_ = nullptr;
  double low_ = -1.0;
  double high_ = 1.0;
  double half_range_ = 1.0;  // noise unit: (high - low) / 2, or 1 for an unbounded box
  PlanShape shape_;

  // threads and their planning copies, each with a preallocated float32 [A] action
  std::unique_ptr<WorkerPool> pool_;
  std::vector<std::unique_ptr<Environment>> copies_;
  std::vector<torch::Tensor> actions_;
  std::function<void(int)> rollout_job_;

  // the plan and the buffers of one pass, allocated once
  std::vector<double> mean_;        // [H, A]
  std::vector<double> past_;        // [A]: the action executed last (0 at the start)
  std::vector<double> noise_;       // [N, H, A]
  std::vector<double> candidates_;  // [N, H, A]
  std::vector<double> returns_;     // [N]
  std::vector<double> weights_;     // [N]
  SimState start_;                  // the live state the rollouts start from
  std::atomic<int> next_candidate_{0};

  // randomness (calling thread only) and bookkeeping
  std::mt19937_64 rng_;
  std::normal_distribution<double> gaussian_{0.0, 1.0};
  int64_t step_ = 0;
  Stats stats_;
};

}  // namespace imitate::plugins::mpc

#endif  // IMITATE_PLUGINS_EXPERTS_MPC_MPC_EXPERT_H_
