#include "engine/data/demo_file.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/data/hdf5.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/version.h"
#include "tests/engine/data/data_test_util.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;
using testing::MakeEpisode;
using testing::TempDir;
using testing::TestSpace;

Params EnvParams() {
  return Params::Make("environment", {IntParam("image_size", 64, "image side"),
                                      StringListParam("tasks", {"kettle", "microwave"}, "tasks")});
}

// writes demos of lengths 5, 6, 7, ... (the last one terminal) and returns them
std::vector<Episode> WriteDemos(const std::string& path, int count) {
  std::vector<Episode> episodes;
  DemoWriter writer(path, "kitchen", EnvParams());
  for (int i = 0; i < count; ++i) {
    episodes.push_back(MakeEpisode(i, 5 + i, i == count - 1));
    writer.Add(episodes.back());
  }
  writer.Close();
  return episodes;
}

// the DataError message of ReadDemos, checking it is one line and nothing reached stderr
std::string ReadError(const std::string& path, int64_t count = 0,
                      const ObservationSpace& space = TestSpace(),
                      const std::string& kind = "kitchen") {
  ::testing::internal::CaptureStderr();
  std::string message = "(no error)";
  try {
    ReadDemos(path, count, kind, space);
  } catch (const DataError& e) {
    message = e.what();
  }
  const std::string stderr_text = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(stderr_text, "");
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

TEST(DemoFileTest, RoundTripKeepsEveryValue) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  const std::vector<Episode> written = WriteDemos(path, 3);
  const std::vector<Episode> read = ReadDemos(path, 0, "kitchen", TestSpace());
  ASSERT_EQ(read.size(), 3u);
  for (size_t i = 0; i < read.size(); ++i) {
    const Episode& a = written[i];
    const Episode& b = read[i];
    ASSERT_EQ(b.Length(), a.Length());
    EXPECT_EQ(b.observation.at("pixels").scalar_type(), torch::kUInt8);
    EXPECT_TRUE(torch::equal(a.observation.at("pixels"), b.observation.at("pixels")));
    EXPECT_TRUE(torch::equal(a.observation.at("state"), b.observation.at("state")));
    EXPECT_TRUE(torch::equal(a.action, b.action));
    EXPECT_TRUE(torch::equal(a.reward, b.reward));
    EXPECT_TRUE(torch::equal(a.is_first, b.is_first));
    EXPECT_TRUE(torch::equal(a.is_last, b.is_last));
    EXPECT_TRUE(torch::equal(a.is_terminal, b.is_terminal)) << i;
    EXPECT_EQ(a.metrics, b.metrics);
  }
  // file facts
  const DemoFileInfo info = ReadDemoInfo(path);
  EXPECT_EQ(info.env_kind, "kitchen");
  EXPECT_EQ(info.env_params, "image_size = 64\ntasks = [\"kettle\", \"microwave\"]\n");
  EXPECT_EQ(info.count, 3);
  EXPECT_EQ(info.total, 4 + 5 + 6);
}

TEST(DemoFileTest, WritesTheRobomimicLayout) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  const Episode e = WriteDemos(path, 1).front();  // 5 steps: T = 4 transitions, terminal
  h5::Handle file = h5::OpenFile(path);
  h5::Handle data = h5::OpenGroup(file.get(), "data");
  EXPECT_EQ(h5::ReadStringAttribute(data.get(), "env_kind"), "kitchen");
  EXPECT_EQ(h5::ReadStringAttribute(data.get(), "imitate_version"), IMITATE_SDK_VERSION);
  EXPECT_EQ(h5::ReadIntAttribute(data.get(), "total"), 4);
  h5::Handle demo = h5::OpenGroup(data.get(), "demo_0");
  EXPECT_EQ(h5::ReadIntAttribute(demo.get(), "num_samples"), 4);
  EXPECT_EQ(h5::ReadIntAttribute(demo.get(), "terminal"), 1);
  EXPECT_EQ(h5::ReadDoubleAttribute(demo.get(), "success"), 1.0);
  // obs[t] = observation t, next_obs[t] = observation t + 1, actions[t] = action[t + 1]
  auto read = [&](const std::string& name, torch::Dtype dtype) {
    h5::Handle ds = h5::OpenDataset(demo.get(), name);
    std::vector<int64_t> shape = h5::Shape(ds.get());
    torch::Tensor t = torch::empty(shape, torch::dtype(dtype));
    h5::ReadRows(ds.get(), 0, t);
    return t;
  };
  EXPECT_TRUE(
      torch::equal(read("obs/state", torch::kFloat32), e.observation.at("state").slice(0, 0, 4)));
  EXPECT_TRUE(torch::equal(read("next_obs/state", torch::kFloat32),
                           e.observation.at("state").slice(0, 1, 5)));
  EXPECT_TRUE(torch::equal(read("next_obs/pixels", torch::kUInt8),
                           e.observation.at("pixels").slice(0, 1, 5)));
  EXPECT_TRUE(torch::equal(read("actions", torch::kFloat32), e.action.slice(0, 1, 5)));
  EXPECT_TRUE(torch::equal(read("rewards", torch::kFloat32), e.reward.slice(0, 1, 5)));
  EXPECT_TRUE(
      torch::equal(read("dones", torch::kUInt8), torch::tensor({0, 0, 0, 1}, torch::kUInt8)));
  // images: one gzip chunk per step; vectors plain
  h5::Handle pixels = h5::OpenDataset(demo.get(), "obs/pixels");
  h5::Handle props(H5Dget_create_plist(pixels.get()), H5Pclose, "plist");
  hsize_t chunk[4] = {};
  ASSERT_EQ(H5Pget_chunk(props.get(), 4, chunk), 4);
  EXPECT_EQ(chunk[0], 1u);
  EXPECT_EQ(chunk[1], static_cast<hsize_t>(testing::kImage));
  unsigned flags = 0;
  size_t count = 1;
  unsigned level = 0;
  EXPECT_EQ(H5Pget_filter_by_id2(props.get(), H5Z_FILTER_DEFLATE, &flags, &count, &level, 0,
                                 nullptr, nullptr),
            0);
  EXPECT_EQ(level, 4u);
}

TEST(DemoFileTest, WritesAtomically) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  {
    DemoWriter writer(path, "kitchen", EnvParams());
    writer.Add(MakeEpisode(0, 4));
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::exists(path + ".tmp"));
    writer.Close();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  }
  // abandoned without Close: no file under either name
  const std::string abandoned = dir.File("abandoned.h5");
  {
    DemoWriter writer(abandoned, "kitchen", EnvParams());
    writer.Add(MakeEpisode(0, 4));
  }
  EXPECT_FALSE(fs::exists(abandoned));
  EXPECT_FALSE(fs::exists(abandoned + ".tmp"));
}

TEST(DemoFileTest, ReadsTheFirstCountInNumericOrderAndOnlyTheSpaceKeys) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  WriteDemos(path, 12);
  // renumber demo_K -> demo_{K+1}, as robomimic numbers them from 1
  {
    h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "open");
    for (int k = 11; k >= 0; --k) {
      const std::string from = "data/demo_" + std::to_string(k);
      const std::string to = "data/demo_" + std::to_string(k + 1);
      ASSERT_GE(H5Lmove(file.get(), from.c_str(), file.get(), to.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                0);
    }
  }
  ObservationSpace state_only = TestSpace();
  state_only.erase("pixels");
  const std::vector<Episode> read = ReadDemos(path, 11, "kitchen", state_only);
  ASSERT_EQ(read.size(), 11u);
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].observation.count("pixels"), 0u);
    EXPECT_EQ(read[i].observation.at("state")[0][0].item<float>(), static_cast<float>(i));
  }
}

TEST(DemoFileTest, MissingFile) {
  TempDir dir;
  const std::string path = dir.File("nope.h5");
  EXPECT_EQ(ReadError(path), path + ": no such demo file");
  EXPECT_THROW(ReadDemoInfo(path), DataError);
}

TEST(DemoFileTest, CorruptFile) {
  TempDir dir;
  const std::string path = dir.File("random.h5");
  std::mt19937 rng(7);
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 65536; ++i) out.put(static_cast<char>(rng()));
  }
  EXPECT_EQ(ReadError(path), path + ": not a readable HDF5 file (corrupt or truncated)");
  EXPECT_THROW(ReadDemoInfo(path), DataError);
}

TEST(DemoFileTest, TruncatedFile) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  WriteDemos(path, 3);
  fs::resize_file(path, fs::file_size(path) / 2);
  EXPECT_EQ(ReadError(path), path + ": not a readable HDF5 file (corrupt or truncated)");
  EXPECT_THROW(ReadDemoInfo(path), DataError);
}

TEST(DemoFileTest, FileWithoutData) {
  TempDir dir;
  const std::string path = dir.File("other.h5");
  {
    h5::Handle file = h5::CreateFile(path);
    h5::CreateGroup(file.get(), "something_else");
  }
  EXPECT_EQ(ReadError(path), path + ": not a demo file (it has no /data group)");
}

TEST(DemoFileTest, OtherEnvironment) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  WriteDemos(path, 2);
  EXPECT_EQ(ReadError(path, 0, TestSpace(), "hand"),
            path + ": demos were made for environment 'kitchen', this experiment uses 'hand'");
}

TEST(DemoFileTest, MissingObservationKey) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  WriteDemos(path, 2);
  ObservationSpace space = TestSpace();
  space["depth"] = Space{torch::kFloat32, {4}, 0, 1};
  EXPECT_EQ(ReadError(path, 0, space),
            path + ": demo_0 has no observation 'depth' (has: pixels, state)");
}

TEST(DemoFileTest, ShapeMismatch) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  WriteDemos(path, 2);
  ObservationSpace space = TestSpace();
  space["pixels"].shape = {16, 16, 3};
  EXPECT_EQ(ReadError(path, 0, space),
            path + ": demo_0 obs/pixels has shape [4, 8, 8, 3], the environment gives [16, 16, 3]");
}

TEST(DemoFileTest, TooManyRequested) {
  TempDir dir;
  const std::string path = dir.File("demos.h5");
  WriteDemos(path, 5);
  EXPECT_EQ(ReadError(path, 10), path + " holds 5 demos, 10 requested");
}

}  // namespace
}  // namespace imitate::engine
