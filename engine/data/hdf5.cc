#include "engine/data/hdf5.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

namespace imitate::engine::h5 {
namespace {

// the in-memory HDF5 type of a tensor dtype
hid_t MemoryType(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kUInt8:
    case torch::kBool:
      return H5T_NATIVE_UINT8;
    case torch::kInt8:
      return H5T_NATIVE_INT8;
    case torch::kInt16:
      return H5T_NATIVE_INT16;
    case torch::kInt32:
      return H5T_NATIVE_INT32;
    case torch::kInt64:
      return H5T_NATIVE_INT64;
    case torch::kFloat32:
      return H5T_NATIVE_FLOAT;
    case torch::kFloat64:
      return H5T_NATIVE_DOUBLE;
    default:
      throw Failure(fmt::format("cannot store dtype {}", c10::toString(dtype)));
  }
}

// a UTF-8 string type, variable-length or of `size` bytes
Handle StringType(size_t size) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "cannot make a string type");
  if (H5Tset_size(type.get(), size) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0) {
    throw Failure("cannot make a string type");
  }
  return type;
}

Handle ScalarSpace() { return Handle(H5Screate(H5S_SCALAR), H5Sclose, "cannot make a dataspace"); }

Handle SimpleSpace(const std::vector<hsize_t>& dims) {
  return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                "cannot make a dataspace");
}

// writes one scalar attribute of the given file and memory types
void WriteScalar(hid_t obj, const std::string& name, hid_t type, const void* value) {
  Handle space = ScalarSpace();
  Handle attr(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              fmt::format("cannot create attribute '{}'", name));
  if (H5Awrite(attr.get(), type, value) < 0) {
    throw Failure(fmt::format("cannot write attribute '{}'", name));
  }
}

// reads one scalar attribute, converted to `type`
void ReadScalar(hid_t obj, const std::string& name, hid_t type, void* value) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose,
              fmt::format("has no attribute '{}'", name));
  if (H5Aread(attr.get(), type, value) < 0) {
    throw Failure(fmt::format("cannot read attribute '{}'", name));
  }
}

}  // namespace

Handle::Handle(hid_t id, Closer close, const std::string& what) : id_(id), close_(close) {
  if (id_ < 0) throw Failure(what);
}

Handle::Handle(Handle&& other) noexcept
    : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    close_ = other.close_;
  }
  return *this;
}

bool Handle::Reset() {
  if (id_ < 0) return true;
  const herr_t status = close_(std::exchange(id_, H5I_INVALID_HID));
  return status >= 0;
}

void SilenceErrors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// ----- files, groups, datasets ----- //

Handle CreateFile(const std::string& path) {
  return Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                "cannot create the file");
}

Handle OpenFile(const std::string& path) {
  return Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                "not a readable HDF5 file (corrupt or truncated)");
}

Handle CreateGroup(hid_t loc, const std::string& name) {
  return Handle(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                fmt::format("cannot create group '{}'", name));
}

Handle OpenGroup(hid_t loc, const std::string& name) {
  return Handle(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), H5Gclose,
                fmt::format("cannot open group '{}'", name));
}

Handle OpenDataset(hid_t loc, const std::string& name) {
  return Handle(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose,
                fmt::format("cannot open dataset '{}'", name));
}

bool Exists(hid_t loc, const std::string& name) {
  return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Children(hid_t group) {
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) throw Failure("cannot list a group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) throw Failure("cannot list a group");
    std::string name(static_cast<size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(size));
    names.push_back(std::move(name));
  }
  return names;
}

std::vector<int64_t> Shape(hid_t dataset) {
  Handle space(H5Dget_space(dataset), H5Sclose, "cannot read a dataset's shape");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw Failure("cannot read a dataset's shape");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

// ----- attributes ----- //

void WriteAttribute(hid_t obj, const std::string& name, int64_t value) {
  WriteScalar(obj, name, H5T_NATIVE_INT64, &value);
}

void WriteAttribute(hid_t obj, const std::string& name, double value) {
  WriteScalar(obj, name, H5T_NATIVE_DOUBLE, &value);
}

void WriteAttribute(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = StringType(H5T_VARIABLE);
  const char* data = value.c_str();
  WriteScalar(obj, name, type.get(), &data);
}

bool HasAttribute(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

int64_t ReadIntAttribute(hid_t obj, const std::string& name) {
  int64_t value = 0;
  ReadScalar(obj, name, H5T_NATIVE_INT64, &value);
  return value;
}

double ReadDoubleAttribute(hid_t obj, const std::string& name) {
  double value = 0;
  ReadScalar(obj, name, H5T_NATIVE_DOUBLE, &value);
  return value;
}

std::string ReadStringAttribute(hid_t obj, const std::string& name) {
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose,
              fmt::format("has no attribute '{}'", name));
  Handle file_type(H5Aget_type(attr.get()), H5Tclose, "cannot read an attribute type");
  if (H5Tget_class(file_type.get()) != H5T_STRING) {
    throw Failure(fmt::format("attribute '{}' is not a string", name));
  }
  // variable-length strings: HDF5 allocates, we copy and reclaim
  if (H5Tis_variable_str(file_type.get()) > 0) {
    Handle type = StringType(H5T_VARIABLE);
    char* data = nullptr;
    if (H5Aread(attr.get(), type.get(), &data) < 0) {
      throw Failure(fmt::format("cannot read attribute '{}'", name));
    }
    std::string value = data ? data : "";
    Handle space = ScalarSpace();
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(type.get(), space.get(), H5P_DEFAULT, &data);
#else
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, &data);
#endif
    return value;
  }
  // fixed-length strings: read the bytes and cut at the first NUL
  const size_t size = H5Tget_size(file_type.get());
  Handle type = StringType(size);
  std::string value(size, '\0');
  if (H5Aread(attr.get(), type.get(), value.data()) < 0) {
    throw Failure(fmt::format("cannot read attribute '{}'", name));
  }
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

std::vector<std::string> NumericAttributes(hid_t obj) {
  // collect every attribute name, then keep the scalar numbers
  std::vector<std::string> all;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &all) < 0) {
    throw Failure("cannot list attributes");
  }
  std::vector<std::string> names;
  for (const std::string& name : all) {
    Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "cannot list attributes");
    Handle type(H5Aget_type(attr.get()), H5Tclose, "cannot list attributes");
    Handle space(H5Aget_space(attr.get()), H5Sclose, "cannot list attributes");
    const H5T_class_t cls = H5Tget_class(type.get());
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) &&
        H5Sget_simple_extent_npoints(space.get()) == 1) {
      names.push_back(name);
    }
  }
  return names;
}

// ----- tensor datasets ----- //

void WriteTensor(hid_t loc, const std::string& name, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.to(torch::kCPU).contiguous();
  if (t.scalar_type() == torch::kBool) t = t.to(torch::kUInt8);
  const hid_t type = MemoryType(t.scalar_type());
  const std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  Handle space = SimpleSpace(dims);
  // images: one chunk per step, gzip level 4
  Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "cannot make dataset properties");
  if (t.scalar_type() == torch::kUInt8 && t.dim() == 4 && t.numel() > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    if (H5Pset_chunk(props.get(), 4, chunk.data()) < 0 || H5Pset_deflate(props.get(), 4) < 0) {
      throw Failure(fmt::format("cannot set compression for '{}'", name));
    }
  }
  Handle dataset(
      H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
      H5Dclose, fmt::format("cannot create dataset '{}'", name));
  if (H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0) {
    throw Failure(fmt::format("cannot write dataset '{}'", name));
  }
}

void ReadRows(hid_t dataset, int64_t first, const torch::Tensor& dst) {
  if (!dst.is_contiguous() || !dst.device().is_cpu()) {
    throw Failure("ReadRows needs a contiguous CPU tensor");
  }
  if (dst.numel() == 0) return;
  // select the rows in the file, and the whole of `dst` in memory
  Handle file_space(H5Dget_space(dataset), H5Sclose, "cannot read a dataset's shape");
  const std::vector<hsize_t> count(dst.sizes().begin(), dst.sizes().end());
  std::vector<hsize_t> start(count.size(), 0);
  start[0] = static_cast<hsize_t>(first);
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                          nullptr) < 0) {
    throw Failure("cannot select dataset rows");
  }
  Handle memory_space = SimpleSpace(count);
  if (H5Dread(dataset, MemoryType(dst.scalar_type()), memory_space.get(), file_space.get(),
              H5P_DEFAULT, dst.data_ptr()) < 0) {
    throw Failure("cannot read a dataset (corrupt or truncated file)");
  }
}

}  // namespace imitate::engine::h5
