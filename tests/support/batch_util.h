// Helpers for optimizer tests: batches joined along B or cut along T.
#ifndef IMITATE_TESTS_SUPPORT_BATCH_UTIL_H_
#define IMITATE_TESTS_SUPPORT_BATCH_UTIL_H_

#include <torch/torch.h>

#include <cstdint>

#include "imitate/sdk/optimizer.h"

namespace imitate::test_support {

// `fn(tensor of a, tensor of b)` for every observation key and field of two batches.
template <typename Fn>
Batch ZipBatches(const Batch& a, const Batch& b, Fn fn) {
  Batch out;
  for (const auto& [key, value] : a.observation) {
    out.observation[key] = fn(value, b.observation.at(key));
  }
  out.action = fn(a.action, b.action);
  out.reward = fn(a.reward, b.reward);
  out.is_first = fn(a.is_first, b.is_first);
  out.is_last = fn(a.is_last, b.is_last);
  out.is_terminal = fn(a.is_terminal, b.is_terminal);
  return out;
}

// The sequences of `a` and then those of `b` as one batch [B_a + B_b, T, ...].
inline Batch JoinBatches(const Batch& a, const Batch& b) {
  return ZipBatches(a, b, [](const torch::Tensor& x, const torch::Tensor& y) {
    return torch::cat({x, y});
  });
}

// The first `steps` steps of every sequence of `batch`.
inline Batch FirstSteps(const Batch& batch, int64_t steps) {
  return ZipBatches(batch, batch, [steps](const torch::Tensor& x, const torch::Tensor&) {
    return x.slice(1, 0, steps);
  });
}

}  // namespace imitate::test_support

#endif  // IMITATE_TESTS_SUPPORT_BATCH_UTIL_H_
