#include "engine/data/episode.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

// a zero tensor of `rows` steps of `row_shape` each
torch::Tensor Rows(int64_t rows, const std::vector<int64_t>& row_shape, torch::Dtype dtype) {
  std::vector<int64_t> shape{rows};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  return torch::zeros(shape, torch::dtype(dtype));
}

// `t` with room for `rows` steps, its first `used` steps kept
torch::Tensor Regrow(const torch::Tensor& t, int64_t rows, int64_t used) {
  std::vector<int64_t> shape = t.sizes().vec();
  shape[0] = rows;
  torch::Tensor grown = torch::zeros(shape, t.options());
  grown.narrow(0, 0, used).copy_(t.narrow(0, 0, used));
  return grown;
}

// the first `length` steps of `t` as a contiguous copy of its own
torch::Tensor Trim(const torch::Tensor& t, int64_t length) {
  return t.narrow(0, 0, length).clone(torch::MemoryFormat::Contiguous);
}

}  // namespace

EpisodeBuilder::EpisodeBuilder(const ObservationSpace& space, int64_t action_size, int64_t capacity)
    : space_(space), action_size_(action_size) {
  // preallocate every buffer for `capacity` steps
  const int64_t rows = std::max<int64_t>(capacity, 1);
  for (const auto& [key, key_space] : space_) {
    buffer_.observation[key] = Rows(rows, key_space.shape, key_space.dtype);
  }
  buffer_.action = Rows(rows, {action_size_}, torch::kFloat32);
  buffer_.reward = Rows(rows, {}, torch::kFloat32);
  buffer_.is_first = Rows(rows, {}, torch::kBool);
  buffer_.is_last = Rows(rows, {}, torch::kBool);
  buffer_.is_terminal = Rows(rows, {}, torch::kBool);
}

void EpisodeBuilder::Begin(const TimeStep& first) {
  length_ = 0;
  Write(torch::Tensor(), first);
}

void EpisodeBuilder::Append(const torch::Tensor& action, const TimeStep& step) {
  if (length_ == 0) throw UsageError("EpisodeBuilder: Append called before Begin");
  if (action.numel() != action_size_) {
    throw UsageError(fmt::format("EpisodeBuilder: action has {} values, expected {}",
                                 action.numel(), action_size_));
  }
  Write(action, step);
}

Episode EpisodeBuilder::Finish() const {
  // contiguous copies of the used rows
  Episode episode;
  for (const auto& [key, rows] : buffer_.observation) {
    episode.observation[key] = Trim(rows, length_);
  }
  episode.action = Trim(buffer_.action, length_);
  episode.reward = Trim(buffer_.reward, length_);
  episode.is_first = Trim(buffer_.is_first, length_);
  episode.is_last = Trim(buffer_.is_last, length_);
  episode.is_terminal = Trim(buffer_.is_terminal, length_);
  episode.metrics = buffer_.metrics;
  return episode;
}

void EpisodeBuilder::Grow() {
  // double the capacity, keeping the rows written so far
  const int64_t rows = 2 * buffer_.Length();
  for (auto& [key, t] : buffer_.observation) t = Regrow(t, rows, length_);
  buffer_.action = Regrow(buffer_.action, rows, length_);
  buffer_.reward = Regrow(buffer_.reward, rows, length_);
  buffer_.is_first = Regrow(buffer_.is_first, rows, length_);
  buffer_.is_last = Regrow(buffer_.is_last, rows, length_);
  buffer_.is_terminal = Regrow(buffer_.is_terminal, rows, length_);
}

void EpisodeBuilder::Write(const torch::Tensor& action, const TimeStep& step) {
  if (length_ == buffer_.Length()) Grow();
  const int64_t t = length_;
  // observations: copied into the preallocated row, shapes checked against the space
  for (auto& [key, rows] : buffer_.observation) {
    const auto it = step.observation.find(key);
    if (it == step.observation.end()) {
      throw UsageError(fmt::format("EpisodeBuilder: the step has no observation '{}'", key));
    }
    if (it->second.sizes() != rows.sizes().slice(1)) {
      throw UsageError(fmt::format("EpisodeBuilder: observation '{}' has shape [{}], expected [{}]",
                                   key, fmt::join(it->second.sizes(), ", "),
                                   fmt::join(rows.sizes().slice(1), ", ")));
    }
    rows.select(0, t).copy_(it->second);
  }
  // action (zero at the reset step)
  if (action.defined()) {
    buffer_.action.select(0, t).copy_(action.reshape({action_size_}));
  } else {
    buffer_.action.select(0, t).zero_();
  }
  // scalars, written in place
  buffer_.reward.data_ptr<float>()[t] = static_cast<float>(step.reward);
  buffer_.is_first.data_ptr<bool>()[t] = step.is_first;
  buffer_.is_last.data_ptr<bool>()[t] = step.is_last;
  buffer_.is_terminal.data_ptr<bool>()[t] = step.is_terminal;
  buffer_.metrics = step.metrics;
  length_ = t + 1;
}

}  // namespace imitate::engine
