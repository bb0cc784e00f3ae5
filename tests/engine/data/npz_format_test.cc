// The .npy and zip layers under npz.h, checked against files numpy itself wrote
// (testdata/numpy_savez*.npz: np.savez and np.savez_compressed of the arrays in kNumpyArrays).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "engine/data/npy.h"
#include "engine/data/npz.h"
#include "engine/data/zip.h"
#include "imitate/sdk/errors.h"
#include "tests/engine/data/data_test_util.h"

namespace imitate::engine {
namespace {

using testing::TempDir;

std::string Fixture(const std::string& name) {
  return std::string(IMITATE_DATA_TEST_DIR) + "/" + name;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// a .npy file with a hand-written header dict
std::string NpyWithHeader(const std::string& dict, const std::string& data) {
  std::string header = dict + "\n";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header + data;
}

// checks `message` is one line, names `file` and contains `part`
void ExpectOneLine(const std::string& message, const std::string& file, const std::string& part) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find(file), std::string::npos) << message;
  EXPECT_NE(message.find(part), std::string::npos) << message;
}

// the arrays the fixtures hold, as numpy made them
void ExpectNumpyArrays(const NpzArrays& list) {
  const std::map<std::string, torch::Tensor> a(list.begin(), list.end());
  ASSERT_EQ(a.size(), 6u);
  EXPECT_TRUE(a.at("a").equal(torch::arange(6, torch::kInt64).reshape({2, 3})));
  EXPECT_TRUE(a.at("b").equal(torch::tensor({0.5, -1.25}, torch::kFloat64)));
  EXPECT_TRUE(a.at("c").equal(torch::tensor({true, false, true})));
  EXPECT_TRUE(a.at("d").equal(torch::tensor({7, -8}, torch::kInt32).reshape({2, 1})));
  EXPECT_TRUE(a.at("e").equal(torch::tensor({1.5f, 2.5f})));
  EXPECT_TRUE(a.at("f").equal(torch::arange(4, torch::kUInt8)));
}

TEST(NpzFormatTest, ReadsNumpyStoredAndDeflatedArchives) {
  ExpectNumpyArrays(ReadNpz(Fixture("numpy_savez.npz")));
  ExpectNumpyArrays(ReadNpz(Fixture("numpy_savez_compressed.npz")));
}

TEST(NpzFormatTest, WritesWhatItReads) {
  TempDir dir;
  const NpzArrays arrays = ReadNpz(Fixture("numpy_savez.npz"));
  for (const bool compress : {false, true}) {
    WriteNpz(dir.File("a.npz"), arrays, compress);
    ExpectNumpyArrays(ReadNpz(dir.File("a.npz")));
  }
}

TEST(NpzFormatTest, ZipStoredAndDeflatedEntries) {
  const std::vector<zip::Entry> entries = {{"x.npy", std::string(5000, 'x')}, {"y", "tiny"}};
  for (const bool deflate : {false, true}) {
    const std::string bytes = zip::Write(entries, deflate);
    // deflating shrinks the repetitive entry; the tiny one stays stored
    EXPECT_EQ(bytes.size() < 5000, deflate);
    const std::vector<zip::Entry> read = zip::Read(bytes);
    ASSERT_EQ(read.size(), 2u);
    EXPECT_EQ(read[0].name, "x.npy");
    EXPECT_EQ(read[0].data, entries[0].data);
    EXPECT_EQ(read[1].data, "tiny");
  }
}

TEST(NpzFormatTest, CorruptAndTruncatedArchivesNameTheFile) {
  TempDir dir;
  const std::string bytes = ReadBytes(Fixture("numpy_savez_compressed.npz"));
  // a flipped byte inside the first entry's deflated data (after its local header)
  std::string flipped = bytes;
  const size_t data_at = 30 + static_cast<unsigned char>(bytes[26]) +
                         static_cast<unsigned char>(bytes[28]) +
                         256 * static_cast<unsigned char>(bytes[29]);
  flipped[data_at + 10] = static_cast<char>(flipped[data_at + 10] ^ 0x55);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated.npz", bytes.substr(0, bytes.size() / 2)},
      {"tail.npz", bytes.substr(0, bytes.size() - 10)},
      {"flipped.npz", flipped},
      {"text.npz", "not a zip file at all"},
      {"empty.npz", ""}};
  for (const auto& [name, content] : cases) {
    std::ofstream(dir.File(name), std::ios::binary) << content;
    try {
      ReadNpz(dir.File(name));
      ADD_FAILURE() << name << " was read";
    } catch (const DataError& e) {
      ExpectOneLine(e.what(), name, "");
    }
  }
  EXPECT_THROW(ReadNpz(dir.File("missing.npz")), DataError);
}

TEST(NpzFormatTest, NpyHeaders) {
  // version 1.0, 2.0, Python 2 longs, double quotes, no trailing comma
  const std::string four(4, '\x01');
  EXPECT_TRUE(
      npy::Parse(NpyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", four))
          .equal(torch::ones({2, 2}, torch::kUInt8)));
  const std::string formatted = npy::Format(torch::arange(3, torch::kInt32));
  EXPECT_EQ(formatted.size() % 64, 12u);  // data after a header padded to 64 bytes  // header
                                          // padded to 64 bytes, then 12 bytes of data
  EXPECT_TRUE(
      npy::Parse(NpyWithHeader("{\"descr\": \"<i4\", \"shape\": (1L,), \"fortran_order\": False}",
                               std::string("\x05\x00\x00\x00", 4)))
          .equal(torch::tensor({5}, torch::kInt32)));
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n";
  std::string version2 = std::string("\x93NUMPY\x02\x00", 8) + static_cast<char>(header.size()) +
                         std::string(3, '\0') + header + std::string(8, '\0');
  EXPECT_EQ(npy::Parse(version2).dim(), 0);
  // every supported dtype round-trips
  for (const torch::Dtype dtype :
       {torch::kBool, torch::kUInt8, torch::kInt8, torch::kInt16, torch::kInt32, torch::kInt64,
        torch::kFloat16, torch::kFloat32, torch::kFloat64}) {
    const torch::Tensor t = torch::arange(12).reshape({3, 4}).remainder(2).to(dtype);
    EXPECT_TRUE(npy::Parse(npy::Format(t)).equal(t)) << c10::toString(dtype);
  }
}

TEST(NpzFormatTest, UnsupportedArraysAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype '<u2'"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "big-endian"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }", "truncated"},
      {"{'descr': '<f4', 'shape': (1,), }", "lacks"}};
  for (const auto& [dict, part] : cases) {
    try {
      npy::Parse(NpyWithHeader(dict, std::string(16, '\0')));
      ADD_FAILURE() << dict;
    } catch (const npy::Failure& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(npy::Parse("\x93NUMPX"), npy::Failure);
  // through ReadNpz: one line naming the file and the entry
  TempDir dir;
  const std::string bad = NpyWithHeader("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }",
                                        std::string(4, '\0'));
  std::ofstream(dir.File("u4.npz"), std::ios::binary) << zip::Write({{"x.npy", bad}}, true);
  try {
    ReadNpz(dir.File("u4.npz"));
    ADD_FAILURE();
  } catch (const DataError& e) {
    ExpectOneLine(e.what(), "u4.npz", "x.npy: unsupported dtype '<u4'");
  }
}

}  // namespace
}  // namespace imitate::engine
