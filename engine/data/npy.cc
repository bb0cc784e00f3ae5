#include "engine/data/npy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace imitate::engine::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlign = 64;

// numpy's dtype names, one byte-order prefix each ('|' for one byte, '<' otherwise)
const std::vector<std::pair<std::string, torch::Dtype>>& Dtypes() {
  static const std::vector<std::pair<std::string, torch::Dtype>> dtypes = {
      {"|b1", torch::kBool},    {"|u1", torch::kUInt8},   {"|i1", torch::kInt8},
      {"<i2", torch::kInt16},   {"<i4", torch::kInt32},   {"<i8", torch::kInt64},
      {"<f2", torch::kFloat16}, {"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}};
  return dtypes;
}

// the dtype of a descr: a byte-order mark ('<', '|', '=' or, for one byte, '>') and a type
torch::Dtype DtypeOf(const std::string& descr) {
  if (descr.size() == 3 && std::strchr("<>|=", descr[0]) != nullptr) {
    const std::string body = descr.substr(1);
    for (const auto& [name, dtype] : Dtypes()) {
      if (name.substr(1) != body) continue;
      if (descr[0] == '>' && body[1] != '1') {
        throw Failure(fmt::format("big-endian dtype '{}' is not supported", descr));
      }
      return dtype;
    }
  }
  throw Failure(fmt::format(
      "unsupported dtype '{}' (supported: |b1 |u1 |i1 <i2 <i4 <i8 <f2 <f4 <f8)", descr));
}

// a reader of the header's Python dict literal: {'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : text_(text) {}

  void Parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool has_descr = false, has_fortran = false, has_shape = false;
    Expect('{');
    while (!Accept('}')) {
      const std::string key = String();
      Expect(':');
      if (key == "descr") {
        if (Peek() == '[') throw Failure("structured dtypes are not supported");
        descr = String();
        has_descr = true;
      } else if (key == "fortran_order") {
        fortran = Bool();
        has_fortran = true;
      } else if (key == "shape") {
        shape = Tuple();
        has_shape = true;
      } else {
        throw Failure(fmt::format("unexpected key '{}' in the header", key));
      }
      if (!Accept(',')) {
        Expect('}');
        break;
      }
    }
    if (!has_descr || !has_fortran || !has_shape) {
      throw Failure("header lacks one of descr, fortran_order, shape");
    }
  }

 private:
  char Peek() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
    return at_ < text_.size() ? text_[at_] : '\0';
  }
  bool Accept(char c) {
    if (Peek() != c) return false;
    ++at_;
    return true;
  }
  void Expect(char c) {
    if (!Accept(c)) throw Failure(fmt::format("malformed header (expected '{}' at {})", c, at_));
  }
  std::string String() {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Expect('\'');
    const size_t end = text_.find(quote, ++at_);
    if (end == std::string::npos) throw Failure("malformed header (unterminated string)");
    std::string value = text_.substr(at_, end - at_);
    at_ = end + 1;
    return value;
  }
  bool Bool() {
    Peek();
    for (const auto& [word, value] :
         {std::pair<const char*, bool>{"True", true}, {"False", false}}) {
      if (text_.compare(at_, std::strlen(word), word) == 0) {
        at_ += std::strlen(word);
        return value;
      }
    }
    throw Failure("malformed header (fortran_order is not True or False)");
  }
  std::vector<int64_t> Tuple() {
    std::vector<int64_t> values;
    Expect('(');
    while (!Accept(')')) {
      Peek();
      size_t digits = 0;
      while (at_ + digits < text_.size() &&
             std::isdigit(static_cast<unsigned char>(text_[at_ + digits])))
        ++digits;
      if (digits == 0 || digits > 18) throw Failure("malformed header (bad shape)");
      values.push_back(std::stoll(text_.substr(at_, digits)));
      at_ += digits;
      Accept('L');  // Python 2 longs
      if (!Accept(',')) {
        Expect(')');
        break;
      }
    }
    return values;
  }

  const std::string& text_;
  size_t at_ = 0;
};

// "(281, 9)", "(281,)" or "()" as Python writes a tuple
std::string ShapeRepr(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

uint32_t ReadLittle(const std::string& bytes, size_t at, size_t size) {
  uint32_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return value;
}

}  // namespace

std::string Descr(torch::Dtype dtype) {
  for (const auto& [name, known] : Dtypes()) {
    if (known == dtype) return name;
  }
  throw Failure(fmt::format("dtype {} has no .npy equivalent", c10::toString(dtype)));
}

torch::Tensor Parse(const std::string& bytes) {
  // magic, version and header length
  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    throw Failure("not a .npy array (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) throw Failure(fmt::format("unsupported .npy version {}", major));
  const size_t length_size = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + length_size) throw Failure("truncated .npy header");
  const size_t header_size = ReadLittle(bytes, 8, length_size);
  const size_t data_at = 8 + length_size + header_size;
  if (bytes.size() < data_at) throw Failure("truncated .npy header");
  // the header dict
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  const std::string header = bytes.substr(8 + length_size, header_size);
  HeaderParser(header).Parse(descr, fortran, shape);
  if (fortran) throw Failure("Fortran-order arrays are not supported (save in C order)");
  const torch::Dtype dtype = DtypeOf(descr);
  // the data, exactly numel items
  torch::Tensor tensor = torch::empty(shape, torch::dtype(dtype));
  const size_t size = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  if (bytes.size() - data_at < size) {
    throw Failure(fmt::format("truncated .npy data ({} bytes, shape {} of {} needs {})",
                              bytes.size() - data_at, ShapeRepr(shape), descr, size));
  }
  if (size > 0) std::memcpy(tensor.data_ptr(), bytes.data() + data_at, size);
  return tensor;
}

std::string Format(const torch::Tensor& tensor) {
  const torch::Tensor data = tensor.cpu().contiguous();
  const std::vector<int64_t> shape = data.sizes().vec();
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   Descr(data.scalar_type()), ShapeRepr(shape));
  // pad with spaces and a newline so that the data starts at a multiple of 64 bytes
  const bool v2 = header.size() + 1 + kMagicSize + 4 > 65535;
  const size_t prefix = kMagicSize + 2 + (v2 ? 4 : 2);
  header.append((kAlign - (prefix + header.size() + 1) % kAlign) % kAlign, ' ');
  header += '\n';
  std::string bytes(kMagic, kMagicSize);
  bytes += static_cast<char>(v2 ? 2 : 1);
  bytes += '\0';
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i)
    bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  const size_t size = static_cast<size_t>(data.numel()) * data.element_size();
  bytes.append(static_cast<const char*>(data.data_ptr()), size);
  return bytes;
}

}  // namespace imitate::engine::npy
