#include "engine/data/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

// an empty [batch, length, ...] tensor shaped and typed like the steps of `like`
torch::Tensor Windows(const torch::Tensor& like, int64_t batch, int64_t length) {
  std::vector<int64_t> shape = like.sizes().vec();
  shape[0] = length;
  shape.insert(shape.begin(), batch);
  return torch::empty(shape, like.options());
}

// the per-step tensors of an episode (observation keys in key order), for uniform handling
std::vector<const torch::Tensor*> Fields(const Episode& episode) {
  std::vector<const torch::Tensor*> fields;
  for (const auto& entry : episode.observation) fields.push_back(&entry.second);
  for (const torch::Tensor* t : {&episode.action, &episode.reward, &episode.is_first,
                                 &episode.is_last, &episode.is_terminal}) {
    fields.push_back(t);
  }
  return fields;
}

}  // namespace

ReplayBuffer::ReplayBuffer(int64_t capacity, WindowStart windows)
    : capacity_(capacity), windows_(windows) {}

void ReplayBuffer::Add(Episode episode) {
  // every field holds the same number of steps, and the keys match the stored episodes
  const int64_t length = episode.Length();
  for (const torch::Tensor* t : Fields(episode)) {
    if (!t->defined() || t->dim() == 0 || t->size(0) != length) {
      throw DataError(fmt::format("replay: an episode's fields disagree on its length {}", length));
    }
  }
  if (!episodes_.empty()) {
    const TensorMap& stored = episodes_.front().observation;
    const bool same_keys =
        stored.size() == episode.observation.size() &&
        std::equal(stored.begin(), stored.end(), episode.observation.begin(),
                   [](const auto& a, const auto& b) { return a.first == b.first; });
    if (!same_keys) throw DataError("replay: an episode's observation keys differ from the others");
  }
  // store contiguous, then drop the oldest episodes beyond capacity (keeping the newest)
  for (auto& entry : episode.observation) entry.second = entry.second.contiguous();
  steps_ += length;
  episodes_.push_back(std::move(episode));
  size_t drop = 0;
  while (steps_ > capacity_ && episodes_.size() - drop > 1) {
    steps_ -= episodes_[drop].Length();
    ++drop;
  }
  episodes_.erase(episodes_.begin(), episodes_.begin() + static_cast<std::ptrdiff_t>(drop));
}

Batch ReplayBuffer::Sample(int64_t batch, int64_t length, std::mt19937_64& rng) const {
  // the episodes long enough for one window
  std::vector<size_t> eligible;
  int64_t longest = 0;
  for (size_t i = 0; i < episodes_.size(); ++i) {
    longest = std::max(longest, episodes_[i].Length());
    if (episodes_[i].Length() >= length) eligible.push_back(i);
  }
  if (eligible.empty() || length < 1 || batch < 1) {
    throw DataError(
        fmt::format("replay: cannot sample {} windows of {} steps: {} episodes stored, the longest "
                    "has {} steps",
                    batch, length, episodes_.size(), longest));
  }
  // the batch tensors, allocated once
  const Episode& model = episodes_[eligible.front()];
  Batch out;
  for (const auto& [key, t] : model.observation) out.observation[key] = Windows(t, batch, length);
  out.action = Windows(model.action, batch, length);
  out.reward = Windows(model.reward, batch, length);
  out.is_first = Windows(model.is_first, batch, length);
  out.is_last = Windows(model.is_last, batch, length);
  out.is_terminal = Windows(model.is_terminal, batch, length);
  // per element: a uniform episode, a uniform start, one slice copy per field
  std::uniform_int_distribution<size_t> pick_episode(0, eligible.size() - 1);
  for (int64_t b = 0; b < batch; ++b) {
    const Episode& episode = episodes_[eligible[pick_episode(rng)]];
    const int64_t last_start = episode.Length() - length;
    const int64_t first = windows_ == WindowStart::kCoverEnds ? -(length - 1) : 0;
    const int64_t end = windows_ == WindowStart::kCoverEnds ? episode.Length() - 1 : last_start;
    std::uniform_int_distribution<int64_t> pick_start(first, end);
    const int64_t start = std::clamp<int64_t>(pick_start(rng), 0, last_start);
    auto copy = [&](torch::Tensor& dst, const torch::Tensor& src) {
      dst.select(0, b).copy_(src.narrow(0, start, length));
    };
    for (auto& [key, dst] : out.observation) copy(dst, episode.observation.at(key));
    copy(out.action, episode.action);
    copy(out.reward, episode.reward);
    copy(out.is_first, episode.is_first);
    copy(out.is_last, episode.is_last);
    copy(out.is_terminal, episode.is_terminal);
  }
  return out;
}

}  // namespace imitate::engine
