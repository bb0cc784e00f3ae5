#include "engine/run/collector.h"

#include <torch/torch.h>

#include <optional>
#include <vector>

#include "engine/run/seeds.h"

namespace imitate::engine {

Collector::Collector(Environment& env, Optimizer& policy, ActMode mode, uint64_t seed_stream,
                     int64_t first_episode)
    : env_(env),
      policy_(policy),
      mode_(mode),
      seed_stream_(seed_stream),
      builder_(env.ObservationSpec(), env.ActionSpec().Size(), env.EpisodeLength() + 1),
      is_first_(torch::ones({1}, torch::kBool)),
      episodes_started_(first_episode) {}

void Collector::Begin() {
  current_ = &env_.Reset(DeriveSeed(seed_stream_, "episode", episodes_started_++));
  builder_.Begin(*current_);
  if (observer_) observer_(env_, *current_, episodes_started_ - 1);
  carry_ = policy_.InitialCarry(1);
  is_first_.fill_(true);
}

std::optional<Episode> Collector::Step() {
  if (current_ == nullptr) Begin();

  // act on the current observation as a batch of one
  for (const auto& [key, value] : current_->observation) batched_obs_[key] = value.unsqueeze(0);
  torch::Tensor action = policy_.Act(batched_obs_, is_first_, carry_, mode_)[0].to(torch::kCPU);
  is_first_.fill_(false);

  // step and record
  const TimeStep& next = env_.Step(action);
  builder_.Append(action, next);
  if (observer_) observer_(env_, next, episodes_started_ - 1);
  current_ = &next;
  if (!next.is_last) return std::nullopt;
  current_ = nullptr;
  return builder_.Finish();
}

EpisodeResult Collector::RunEpisode() {
  while (true) {
    if (std::optional<Episode> episode = Step()) {
      return {episode->reward.sum().item<double>(), episode->Length() - 1, episode->metrics};
    }
  }
}

Metrics Summarize(const std::vector<EpisodeResult>& results) {
  Metrics mean;
  if (results.empty()) return mean;
  for (const EpisodeResult& r : results) {
    mean["return"] += r.episode_return;
    mean["length"] += static_cast<double>(r.length);
    for (const auto& [k, v] : r.metrics) mean[k] += v;
  }
  for (auto& [k, v] : mean) v /= static_cast<double>(results.size());
  return mean;
}

}  // namespace imitate::engine
