#include "engine/data/zip.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace imitate::engine::zip {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint16_t kZip64Extra = 0x0001;
constexpr uint16_t kStored = 0;
constexpr uint16_t kDeflated = 8;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
constexpr uint32_t kMax32 = 0xffffffff;

// checks that `size` bytes from `at` lie inside the archive
void Need(const std::string& bytes, uint64_t at, uint64_t size) {
  if (at > bytes.size() || bytes.size() - at < size) {
    throw Failure("truncated or corrupt zip archive");
  }
}

// a little-endian integer of `size` <= 8 bytes at `at`, bounds-checked
uint64_t Le(const std::string& bytes, uint64_t at, size_t size) {
  Need(bytes, at, size);
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return value;
}

void PutLe(std::string& out, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

uint32_t Crc32(const std::string& data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// where the central directory starts and how many entries it has
struct Directory {
  uint64_t offset = 0;
  uint64_t entries = 0;
};

// finds the end-of-central-directory record (and its zip64 version when one is needed)
Directory FindDirectory(const std::string& bytes) {
  constexpr size_t kEndSize = 22;
  if (bytes.size() < kEndSize) throw Failure("not a zip archive (too short)");
  const size_t lowest = bytes.size() > kEndSize + 0xffff ? bytes.size() - kEndSize - 0xffff : 0;
  for (size_t at = bytes.size() - kEndSize + 1; at-- > lowest;) {
    if (Le(bytes, at, 4) != kEndOfDirectory) continue;
    Directory dir{Le(bytes, at + 16, 4), Le(bytes, at + 10, 2)};
    if (dir.offset == kMax32 || dir.entries == 0xffff) {
      // zip64: the locator sits right before the end record and points at the zip64 record
      if (at < 20 || Le(bytes, at - 20, 4) != kZip64Locator) throw Failure("corrupt zip64 archive");
      const uint64_t end64 = Le(bytes, at - 20 + 8, 8);
      if (Le(bytes, end64, 4) != kZip64End) throw Failure("corrupt zip64 archive");
      dir = Directory{Le(bytes, end64 + 48, 8), Le(bytes, end64 + 32, 8)};
    }
    return dir;
  }
  throw Failure("not a zip archive (no end of central directory)");
}

// raw-deflate decompression of `size` bytes into exactly `expected` bytes
std::string Inflate(const char* data, uint64_t size, uint64_t expected) {
  std::string out(expected, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw Failure("cannot start zlib inflate");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  stream.avail_in = static_cast<uInt>(size);
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(expected);
  const int status = inflate(&stream, Z_FINISH);
  const uint64_t produced = stream.total_out;
  const std::string message = stream.msg ? stream.msg : "truncated";
  inflateEnd(&stream);
  if (status != Z_STREAM_END || produced != expected) {
    throw Failure(fmt::format("corrupt deflate data ({})", message));
  }
  return out;
}

// raw-deflate compression at zlib's default level
std::string Deflate(const std::string& data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw Failure("cannot start zlib deflate");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw Failure("zlib deflate failed");
  return out;
}

// one central-directory entry, read from `at`; returns the offset of the next one
uint64_t ReadEntry(const std::string& bytes, uint64_t at, std::vector<Entry>& entries) {
  if (Le(bytes, at, 4) != kCentralHeader) throw Failure("corrupt zip central directory");
  const uint64_t flags = Le(bytes, at + 8, 2);
  const uint64_t method = Le(bytes, at + 10, 2);
  const uint64_t crc = Le(bytes, at + 16, 4);
  uint64_t packed = Le(bytes, at + 20, 4);
  uint64_t size = Le(bytes, at + 24, 4);
  const uint64_t name_size = Le(bytes, at + 28, 2);
  const uint64_t extra_size = Le(bytes, at + 30, 2);
  const uint64_t comment_size = Le(bytes, at + 32, 2);
  uint64_t local = Le(bytes, at + 42, 4);
  Need(bytes, at + 46, name_size + extra_size + comment_size);
  Entry entry{bytes.substr(at + 46, name_size), {}};
  // zip64 sizes and offset, in this order, for the fields that overflowed
  for (uint64_t e = at + 46 + name_size; e + 4 <= at + 46 + name_size + extra_size;) {
    const uint64_t id = Le(bytes, e, 2), length = Le(bytes, e + 2, 2);
    uint64_t field = e + 4;
    if (id == kZip64Extra) {
      for (uint64_t* value : {&size, &packed, &local}) {
        if (*value == kMax32) {
          *value = Le(bytes, field, 8);
          field += 8;
        }
      }
    }
    e += 4 + length;
  }
  if (flags & 1) throw Failure(fmt::format("{} is encrypted", entry.name));
  if (size > std::numeric_limits<uInt>::max() || packed > std::numeric_limits<uInt>::max()) {
    throw Failure(fmt::format("{} is too large ({} bytes)", entry.name, size));
  }
  // the data follows the local header, whose name and extra field may differ in length
  if (Le(bytes, local, 4) != kLocalHeader) throw Failure("corrupt zip local header");
  const uint64_t data_at = local + 30 + Le(bytes, local + 26, 2) + Le(bytes, local + 28, 2);
  Need(bytes, data_at, packed);
  if (method == kStored) {
    if (packed != size) throw Failure(fmt::format("{}: stored sizes differ", entry.name));
    entry.data = bytes.substr(data_at, size);
  } else if (method == kDeflated) {
    entry.data = Inflate(bytes.data() + data_at, packed, size);
  } else {
    throw Failure(fmt::format("{} uses unsupported compression method {}", entry.name, method));
  }
  if (Crc32(entry.data) != crc) throw Failure(fmt::format("{} fails its CRC-32 check", entry.name));
  entries.push_back(std::move(entry));
  return at + 46 + name_size + extra_size + comment_size;
}

}  // namespace

std::vector<Entry> Read(const std::string& bytes) {
  const Directory dir = FindDirectory(bytes);
  std::vector<Entry> entries;
  uint64_t at = dir.offset;
  for (uint64_t i = 0; i < dir.entries; ++i) at = ReadEntry(bytes, at, entries);
  return entries;
}

std::string Write(const std::vector<Entry>& entries, bool deflate) {
  if (entries.size() >= 0xffff) throw Failure("too many entries for a zip without zip64");
  std::string out, directory;
  for (const Entry& entry : entries) {
    // the entry's data, deflated when that helps
    std::string packed = deflate ? Deflate(entry.data) : std::string();
    const bool deflated = deflate && packed.size() < entry.data.size();
    const std::string& data = deflated ? packed : entry.data;
    const uint32_t crc = Crc32(entry.data);
    const uint64_t offset = out.size();
    if (entry.data.size() >= kMax32 || offset + data.size() >= kMax32) {
      throw Failure("too large for a zip without zip64");
    }
    // local header and data
    const uint16_t method = deflated ? kDeflated : kStored;
    const auto common = [&](std::string& s) {
      PutLe(s, 20, 2);  // version needed: 2.0
      PutLe(s, 0, 2);   // flags
      PutLe(s, method, 2);
      PutLe(s, 0, 2);  // time 00:00
      PutLe(s, kDosDate, 2);
      PutLe(s, crc, 4);
      PutLe(s, data.size(), 4);
      PutLe(s, entry.data.size(), 4);
      PutLe(s, entry.name.size(), 2);
      PutLe(s, 0, 2);  // extra field
    };
    PutLe(out, kLocalHeader, 4);
    common(out);
    out += entry.name;
    out += data;
    // its central-directory record
    PutLe(directory, kCentralHeader, 4);
    PutLe(directory, 20, 2);  // made by: 2.0
    common(directory);
    PutLe(directory, 0, 2);  // comment
    PutLe(directory, 0, 2);  // disk
    PutLe(directory, 0, 2);  // internal attributes
    PutLe(directory, 0, 4);  // external attributes
    PutLe(directory, offset, 4);
    directory += entry.name;
  }
  // the central directory and its end record
  const uint64_t directory_at = out.size();
  if (directory_at + directory.size() >= kMax32) throw Failure("too large for a zip without zip64");
  out += directory;
  PutLe(out, kEndOfDirectory, 4);
  PutLe(out, 0, 4);  // disk numbers
  PutLe(out, entries.size(), 2);
  PutLe(out, entries.size(), 2);
  PutLe(out, directory.size(), 4);
  PutLe(out, directory_at, 4);
  PutLe(out, 0, 2);  // comment
  return out;
}

}  // namespace imitate::engine::zip
