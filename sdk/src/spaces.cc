#include "imitate/sdk/spaces.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>

namespace imitate {

std::string DtypeName(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kBool:
      return "bool";
    case torch::kUInt8:
      return "uint8";
    case torch::kInt8:
      return "int8";
    case torch::kInt16:
      return "int16";
    case torch::kInt32:
      return "int32";
    case torch::kInt64:
      return "int64";
    case torch::kFloat16:
      return "float16";
    case torch::kFloat32:
      return "float32";
    case torch::kFloat64:
      return "float64";
    default:
      return c10::toString(dtype);
  }
}

int64_t Space::Size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool Space::Matches(const torch::Tensor& t, int64_t batch_dims) const {
  if (!t.defined() || t.scalar_type() != dtype) return false;
  if (t.dim() != batch_dims + static_cast<int64_t>(shape.size())) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (t.size(batch_dims + static_cast<int64_t>(i)) != shape[i]) return false;
  }
  return true;
}

std::string Space::ToString() const {
  auto bound = [](double v) {
    if (std::isinf(v)) return std::string(v < 0 ? "-inf" : "inf");
    return fmt::format("{:g}", v);
  };
  return fmt::format("{}[{}] in [{}, {}]", DtypeName(dtype), fmt::join(shape, ", "), bound(low),
                     bound(high));
}

torch::Tensor Space::Zeros() const { return torch::zeros(shape, torch::dtype(dtype)); }

}  // namespace imitate
