#include "plugins/experts/mpc/mpc_expert.h"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <typeinfo>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/planning.h"

namespace imitate::plugins::mpc {
namespace {

// The C++ type of `env` as its source spells it ("imitate::plugins::point_mass::PointMass").
std::string TypeName(const Environment& env) {
  const char* mangled = typeid(env).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : mangled;
  std::free(demangled);
  return name;
}

}  // namespace

ParamSpecs MpcExpert::Specs() {
  return {
      IntParam("samples", 300, "candidate action sequences per refinement pass (PDDM N)")
          .Range(1, 100000),
      IntParam("horizon", 7, "control steps each candidate is rolled out (PDDM H)").Range(1, 1000),
      FloatParam("kappa", 20.0, "reward weighting: w = exp(kappa * (R - max R)) (PDDM gamma)")
          .Range(0, 1e6),
      FloatParam("sigma", 0.9, "noise std, in units of half the action range (PDDM sigma)")
          .Range(0, 100),
      FloatParam("beta", 0.6, "filter: u_h = beta (mean_h + eps_h) + (1 - beta) u_(h-1)")
          .Range(0.001, 1),
      FloatParam("low_noise_fraction", 0.1, "fraction of candidates (the last ones) at low noise")
          .Range(0, 1),
      FloatParam("low_noise_scale", 0.3, "noise scale of the low-noise candidates (x sigma)")
          .Range(0, 100),
      IntParam("iterations", 1, "refinement passes per control step").Range(1, 100),
      IntParam("threads", 0, "rollout threads (0 = all cores), one planning copy each")
          .Range(0, 1024),
      FloatParam("action_noise", 0.0,
                 "std of Gaussian noise added to each executed action (x half range)")
          .Range(0, 100),
      IntParam("verbose", 0, "log plan return, effective samples and time every N steps (0 = off)")
          .Min(0),
  };
}

std::unique_ptr<Expert> MpcExpert::Create(const Params& params) {
  return std::make_unique<MpcExpert>(params);
}

MpcExpert::MpcExpert(const Params& params)
    : samples_(static_cast<int>(params.Int("samples"))),
      horizon_(static_cast<int>(params.Int("horizon"))),
      kappa_(params.Float("kappa")),
      sigma_(params.Float("sigma")),
      beta_(params.Float("beta")),
      low_noise_fraction_(params.Float("low_noise_fraction")),
      low_noise_scale_(params.Float("low_noise_scale")),
      iterations_(static_cast<int>(params.Int("iterations"))),
      threads_(static_cast<int>(params.Int("threads"))),
      action_noise_(params.Float("action_noise")),
      verbose_(params.Int("verbose")) {
  rollout_job_ = [this](int worker) { RolloutWorker(worker); };
}

MpcExpert::~MpcExpert() {
  // stop the threads before the copies they use go away
  pool_.reset();
}

void MpcExpert::Reset(Environment& env, const TimeStep& /*first*/, uint64_t seed) {
  Prepare(env);
  // a fresh plan at the centre of the action box, and this episode's noise
  const double centre = std::isfinite(low_ + high_) ? 0.5 * (low_ + high_) : 0.0;
  std::fill(mean_.begin(), mean_.end(), std::clamp(centre, low_, high_));
  std::fill(past_.begin(), past_.end(), std::clamp(centre, low_, high_));
  rng_.seed(seed);
  gaussian_.reset();
  step_ = 0;
  stats_ = Stats();
}

void MpcExpert::Prepare(Environment& env) {
  // the planning contract
  const auto* planning = dynamic_cast<const PlanningEnvironment*>(&env);
  if (planning == nullptr) {
    throw ConfigError("--expert mpc: the environment (" + TypeName(env) +
                      ") does not implement imitate::PlanningEnvironment (CloneForPlanning), "
                      "which the planner needs for its rollouts");
  }
  // the action box; noise is measured in half ranges of a bounded box
  const Space& spec = env.ActionSpec();
  low_ = spec.low;
  high_ = spec.high;
  half_range_ = std::isfinite(high_ - low_) && high_ > low_ ? 0.5 * (high_ - low_) : 1.0;
  shape_ = PlanShape{samples_, horizon_, static_cast<int>(spec.Size())};

  // threads: the pool (calling thread included) and one planning copy each
  int workers = threads_ > 0 ? threads_ : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::clamp(workers, 1, samples_);
  if (pool_ && pool_->size() != workers) pool_.reset();
  copies_.clear();
  actions_.clear();
  for (int w = 0; w < workers; ++w) {
    std::unique_ptr<Environment> copy = planning->CloneForPlanning();
    IMITATE_CHECK(copy != nullptr && copy->ActionSpec().Size() == spec.Size(),
                  "mpc: CloneForPlanning gave no copy or one with another action size");
    copies_.push_back(std::move(copy));
    actions_.push_back(torch::zeros({shape_.action_dim}, torch::kFloat32));
  }
  if (!pool_) pool_ = std::make_unique<WorkerPool>(workers);

  // the plan and the buffers of one pass
  mean_.assign(static_cast<size_t>(shape_.SequenceSize()), 0.0);
  past_.assign(static_cast<size_t>(shape_.action_dim), 0.0);
  noise_.assign(static_cast<size_t>(shape_.TotalSize()), 0.0);
  candidates_.assign(static_cast<size_t>(shape_.TotalSize()), 0.0);
  returns_.assign(static_cast<size_t>(samples_), 0.0);
  weights_.assign(static_cast<size_t>(samples_), 0.0);
  env_ = &env;
}

torch::Tensor MpcExpert::Act(Environment& env, const TimeStep& /*current*/) {
  if (&env != env_) throw UsageError("mpc: Act before Reset with this environment");
  const auto started = std::chrono::steady_clock::now();
  const int dim = shape_.action_dim;

  // warm start: shift the plan one step, keeping its last row
  if (step_ > 0) std::copy(mean_.begin() + dim, mean_.end(), mean_.begin());

  // refine the plan from the live state
  start_ = env.GetState();
  for (int i = 0; i < iterations_; ++i) Refine();

  // act mean[0] (with optional demo noise), clipped; it is the next step's `past`
  torch::Tensor action = torch::empty({dim}, torch::kFloat32);
  float* out = action.data_ptr<float>();
  for (int a = 0; a < dim; ++a) {
    double u = mean_[a];
    if (action_noise_ > 0) u += action_noise_ * half_range_ * gaussian_(rng_);
    u = std::clamp(u, low_, high_);
    past_[a] = u;
    out[a] = static_cast<float>(u);
  }

  // statistics, logged every `verbose` steps
  stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (verbose_ > 0 && step_ % verbose_ == 0) {
    std::fprintf(stderr,
                 "mpc: step %lld  plan return %.4f  best %.4f  effective samples %.1f/%d  %.3f s\n",
                 static_cast<long long>(step_), stats_.plan_return, stats_.best_return,
                 stats_.effective_samples, samples_, stats_.seconds);
  }
  ++step_;
  return action;
}

void MpcExpert::Refine() {
  // candidates: noise around the mean, filtered and clipped
  DrawNoise(shape_, sigma_ * half_range_, low_noise_fraction_, low_noise_scale_, rng_, gaussian_,
            noise_.data());
  FilterCandidates(shape_, mean_.data(), past_.data(), noise_.data(), beta_, low_, high_,
                   candidates_.data());

  // their returns, on every worker
  next_candidate_.store(0, std::memory_order_relaxed);
  pool_->Run(rollout_job_);

  // reward weights and the new mean
  stats_.effective_samples = RewardWeights(returns_.data(), samples_, kappa_, weights_.data());
  double weighted = 0.0, total = 0.0;
  stats_.best_return = -INFINITY;
  for (int n = 0; n < samples_; ++n) {
    if (weights_[n] > 0) {
      weighted += weights_[n] * returns_[n];
      total += weights_[n];
    }
    if (std::isfinite(returns_[n])) stats_.best_return = std::max(stats_.best_return, returns_[n]);
  }
  stats_.plan_return = total > 0 ? weighted / total : stats_.best_return;
  WeightedMean(candidates_.data(), weights_.data(), samples_, shape_.SequenceSize(), mean_.data());
}

void MpcExpert::RolloutWorker(int worker) {
  // candidates from a shared counter: which thread rolls out which does not change the result
  Environment& copy = *copies_[static_cast<size_t>(worker)];
  torch::Tensor& action = actions_[static_cast<size_t>(worker)];
  const int size = shape_.SequenceSize();
  for (;;) {
    const int n = next_candidate_.fetch_add(1, std::memory_order_relaxed);
    if (n >= samples_) return;
    copy.SetState(start_);
    returns_[static_cast<size_t>(n)] =
        RolloutReturn(copy, candidates_.data() + static_cast<size_t>(n) * size, horizon_,
                      shape_.action_dim, action)
            .value;
  }
}

}  // namespace imitate::plugins::mpc
