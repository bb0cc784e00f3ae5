// NumPy's .npy array format (versions 1.0 to 3.0, C order, little-endian), below npz.h.
// Internal to engine/data: functions throw npy::Failure with a message that leaves out the
// file name.
#ifndef IMITATE_ENGINE_DATA_NPY_H_
#define IMITATE_ENGINE_DATA_NPY_H_

#include <torch/types.h>

#include <stdexcept>
#include <string>

namespace imitate::engine::npy {

// A malformed or unsupported array, described in a few words.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses the bytes of one .npy file into a CPU tensor of the same shape and dtype. Supported
// dtypes: |b1 |u1 |i1 <i2 <i4 <i8 <f2 <f4 <f8; Fortran order and big-endian data are refused.
torch::Tensor Parse(const std::string& bytes);

// The bytes of a version 1.0 .npy file holding `tensor` (any supported dtype, CPU).
std::string Format(const torch::Tensor& tensor);

// numpy's name of a tensor dtype ("|u1", "<f4", ...); throws Failure for one without a name.
std::string Descr(torch::Dtype dtype);

}  // namespace imitate::engine::npy

#endif  // IMITATE_ENGINE_DATA_NPY_H_
