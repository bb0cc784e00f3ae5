// Spaces: the shape, dtype and bounds of observations and actions; named tensor maps.
#ifndef IMITATE_SDK_SPACES_H_
#define IMITATE_SDK_SPACES_H_

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "imitate/sdk/abi.h"

namespace imitate {

// Named tensors: observations (`pixels`, `state`), batches, policy carries.
using TensorMap = std::map<std::string, torch::Tensor>;

// Named scalars: episode metrics (`success`, `tasks_completed`) and training losses.
using Metrics = std::map<std::string, double>;

// A dtype as numpy writes it ("uint8", "float32"), for messages.
IMITATE_EXPORT std::string DtypeName(torch::Dtype dtype);

// A box of values: `pixels` is uint8 [H, W, 3] in [0, 255]; `state` and actions are float32.
struct IMITATE_EXPORT Space {
  torch::Dtype dtype = torch::kFloat32;
  std::vector<int64_t> shape;
  double low = -1.0;  // elementwise lower bound (-inf for unbounded)
  double high = 1.0;  // elementwise upper bound (+inf for unbounded)

  // Number of elements of one value.
  int64_t Size() const;

  // True when `t` has exactly this dtype and shape (with `batch_dims` leading dims allowed).
  bool Matches(const torch::Tensor& t, int64_t batch_dims = 0) const;

  // "uint8[64, 64, 3] in [0, 255]", for messages and `imitate plugins`.
  std::string ToString() const;

  // A zero-filled tensor of this space (used to preallocate buffers).
  torch::Tensor Zeros() const;
};

// The observation keys an environment emits, each with its space.
using ObservationSpace = std::map<std::string, Space>;

}  // namespace imitate

#endif  // IMITATE_SDK_SPACES_H_
