// A thin RAII layer over the HDF5 C API: owned handles, attributes and tensor datasets.
// Internal to engine/data; failures throw h5::Failure, which callers turn into a DataError
// naming the file.
#ifndef IMITATE_ENGINE_DATA_HDF5_H_
#define IMITATE_ENGINE_DATA_HDF5_H_

#include <hdf5.h>
#include <torch/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace imitate::engine::h5 {

// A failed HDF5 call, described in a few words without the file name.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An owned HDF5 identifier, released with its matching H5*close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle() = default;
  // Takes ownership of `id`; throws Failure(`what`) when `id` is invalid.
  Handle(hid_t id, Closer close, const std::string& what);
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }

  // Closes now; returns false when HDF5 reports a failure (e.g. a file that cannot be flushed).
  bool Reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// Turns off HDF5's printing of error stacks to stderr: our errors are one line.
void SilenceErrors();

// Files, groups and datasets.
Handle CreateFile(const std::string& path);
Handle OpenFile(const std::string& path);
Handle CreateGroup(hid_t loc, const std::string& name);
Handle OpenGroup(hid_t loc, const std::string& name);
Handle OpenDataset(hid_t loc, const std::string& name);

// True when `loc` has a link called `name` (one path component).
bool Exists(hid_t loc, const std::string& name);

// The names of the links in a group, in HDF5's name order.
std::vector<std::string> Children(hid_t group);

// The dimensions of a dataset.
std::vector<int64_t> Shape(hid_t dataset);

// Scalar attributes.
void WriteAttribute(hid_t obj, const std::string& name, int64_t value);
void WriteAttribute(hid_t obj, const std::string& name, double value);
void WriteAttribute(hid_t obj, const std::string& name, const std::string& value);
bool HasAttribute(hid_t obj, const std::string& name);
int64_t ReadIntAttribute(hid_t obj, const std::string& name);
double ReadDoubleAttribute(hid_t obj, const std::string& name);
std::string ReadStringAttribute(hid_t obj, const std::string& name);

// The names of the scalar numeric (integer or float) attributes of an object.
std::vector<std::string> NumericAttributes(hid_t obj);

// Writes a CPU tensor as a dataset of the same shape and dtype (bool as uint8). Images (uint8,
// rank 4) are chunked one step per chunk and gzip-compressed at level 4.
void WriteTensor(hid_t loc, const std::string& name, const torch::Tensor& tensor);

// Reads rows [first, first + dst.size(0)) of a dataset into the contiguous CPU tensor `dst`,
// converting to its dtype.
void ReadRows(hid_t dataset, int64_t first, const torch::Tensor& dst);

}  // namespace imitate::engine::h5

#endif  // IMITATE_ENGINE_DATA_HDF5_H_
