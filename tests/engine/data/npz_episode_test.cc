// Dreamer .npz episodes: a synthetic round trip, older and odd files, the real kitchen episode
// in ../shared/testdata, and exact conversions to and from HDF5 demo files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/data/demo_convert.h"
#include "engine/data/demo_file.h"
#include "engine/data/hdf5.h"
#include "engine/data/npz.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/params.h"
#include "tests/engine/data/data_test_util.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;
using testing::MakeEpisode;
using testing::TempDir;

const std::string kShared = IMITATE_SHARED_TESTDATA_DIR;
const std::string kKitchen = kShared + "/kitchen-demo-episode-280.npz";

void ExpectSameEpisode(const Episode& a, const Episode& b) {
  ASSERT_EQ(a.observation.size(), b.observation.size());
  for (const auto& [key, t] : a.observation) {
    ASSERT_TRUE(b.observation.count(key)) << key;
    EXPECT_EQ(t.scalar_type(), b.observation.at(key).scalar_type()) << key;
    EXPECT_TRUE(t.equal(b.observation.at(key))) << key;
  }
  EXPECT_TRUE(a.action.equal(b.action));
  EXPECT_TRUE(a.reward.equal(b.reward));
  EXPECT_TRUE(a.is_first.equal(b.is_first));
  EXPECT_TRUE(a.is_last.equal(b.is_last));
  EXPECT_TRUE(a.is_terminal.equal(b.is_terminal));
  EXPECT_EQ(a.metrics, b.metrics);
}

void ExpectSameArrays(const NpzArrays& a, const NpzArrays& b) {
  const std::map<std::string, torch::Tensor> x(a.begin(), a.end()), y(b.begin(), b.end());
  ASSERT_EQ(x.size(), y.size());
  for (const auto& [name, t] : x) {
    ASSERT_TRUE(y.count(name)) << name;
    EXPECT_EQ(t.scalar_type(), y.at(name).scalar_type()) << name;
    EXPECT_TRUE(t.equal(y.at(name))) << name;
  }
}

TEST(NpzEpisodeTest, RoundTrip) {
  TempDir dir;
  const Episode episode = MakeEpisode(3, 7, /*terminal=*/true);
  WriteNpzEpisode(dir.File("e.npz"), episode);
  const NpzEpisode read = ReadNpzEpisode(dir.File("e.npz"));
  EXPECT_TRUE(read.notes.empty());
  ExpectSameEpisode(episode, read.episode);
  // Dreamer's names for the arrays, metrics as scalar log_ keys
  std::map<std::string, torch::Tensor> arrays;
  for (const auto& [name, t] : ReadNpz(dir.File("e.npz"))) arrays[name] = t;
  EXPECT_EQ(arrays.at("image").sizes(), (std::vector<int64_t>{7, 8, 8, 3}));
  EXPECT_EQ(arrays.at("is_terminal").scalar_type(), torch::kBool);
  EXPECT_EQ(arrays.at("log_success").dim(), 0);
  EXPECT_EQ(arrays.count("pixels"), 0u);
}

TEST(NpzEpisodeTest, OlderAndOddFiles) {
  TempDir dir;
  // discount instead of is_terminal, no is_first/is_last, float64 rewards, extra keys
  const int64_t length = 4;
  WriteNpz(dir.File("old.npz"), {{"image", torch::zeros({length, 2, 2, 3}, torch::kUInt8)},
                                 {"action", torch::zeros({length, 2})},
                                 {"reward", torch::arange(length, torch::kFloat64)},
                                 {"discount", torch::tensor({1.0f, 1.0f, 1.0f, 0.0f})},
                                 {"state", torch::ones({length, 5})},
                                 {"log_entropy", torch::ones({length})},
                                 {"task", torch::zeros({2})}});
  const NpzEpisode read = ReadNpzEpisode(dir.File("old.npz"));
  EXPECT_TRUE(read.episode.is_terminal.equal(torch::tensor({false, false, false, true})));
  EXPECT_TRUE(read.episode.is_first.equal(torch::tensor({true, false, false, false})));
  EXPECT_TRUE(read.episode.is_last.equal(torch::tensor({false, false, false, true})));
  EXPECT_EQ(read.episode.reward.scalar_type(), torch::kFloat32);
  EXPECT_EQ(read.episode.observation.size(), 2u);  // pixels and state
  std::string notes;
  for (const std::string& note : read.notes) notes += note + "|";
  for (const char* part : {"discount", "is_first", "is_last", "log_entropy", "'task'", "<f8"}) {
    EXPECT_NE(notes.find(part), std::string::npos) << part << " in " << notes;
  }
  // a file without actions, and a float image
  WriteNpz(dir.File("bad.npz"), {{"reward", torch::zeros({3})}});
  EXPECT_THROW(ReadNpzEpisode(dir.File("bad.npz")), DataError);
  WriteNpz(dir.File("float.npz"), {{"image", torch::zeros({3, 2, 2, 3})},
                                   {"action", torch::zeros({3, 1})},
                                   {"reward", torch::zeros({3})}});
  try {
    ReadNpzEpisode(dir.File("float.npz"));
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("float.npz: 'image' is <f4"), std::string::npos)
        << e.what();
  }
}

TEST(NpzEpisodeTest, RobomimicLoss) {
  EXPECT_EQ(RobomimicLoss(MakeEpisode(0, 5, true)), "");
  Episode e = MakeEpisode(0, 5);
  e.action[0].fill_(1);
  EXPECT_NE(RobomimicLoss(e).find("action[0]"), std::string::npos);
  e = MakeEpisode(0, 5);
  e.is_terminal[2] = true;
  EXPECT_NE(RobomimicLoss(e).find("is_terminal"), std::string::npos);
  e = MakeEpisode(0, 5);
  e.reward[0] = 1;
  EXPECT_NE(RobomimicLoss(e).find("reward[0]"), std::string::npos);
}

class KitchenEpisodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kShared)) GTEST_SKIP() << "no shared test data at " << kShared;
  }
};

TEST_F(KitchenEpisodeTest, ReadsEveryArray) {
  const NpzEpisode read = ReadNpzEpisode(kKitchen);
  const Episode& e = read.episode;
  EXPECT_TRUE(read.notes.empty());
  // 281 steps: the reset and 280 transitions, pixels only
  ASSERT_EQ(e.Length(), 281);
  ASSERT_EQ(e.observation.size(), 1u);
  const torch::Tensor pixels = e.observation.at("pixels");
  EXPECT_EQ(pixels.scalar_type(), torch::kUInt8);
  EXPECT_EQ(pixels.sizes(), (std::vector<int64_t>{281, 64, 64, 3}));
  const torch::Tensor sums = pixels.to(torch::kInt64).sum({1, 2, 3});
  EXPECT_EQ(sums[0].item<int64_t>(), 1225445);
  EXPECT_EQ(sums[1].item<int64_t>(), 1219898);
  EXPECT_EQ(sums[280].item<int64_t>(), 1320484);
  EXPECT_EQ(sums.sum().item<int64_t>(), 358171172);
  // actions: float32 [281, 9], zero at the reset (Dreamer's action[t] led to obs t)
  EXPECT_EQ(e.action.sizes(), (std::vector<int64_t>{281, 9}));
  EXPECT_TRUE(e.action[0].eq(0).all().item<bool>());
  EXPECT_FLOAT_EQ(e.action[1][0].item<float>(), -0.10030017f);
  EXPECT_FLOAT_EQ(e.action[1][8].item<float>(), 0.33233953f);
  EXPECT_FLOAT_EQ(e.action[280][8].item<float>(), -0.88147193f);
  EXPECT_NEAR(e.action.to(torch::kFloat64).sum().item<double>(), -198.699657, 1e-5);
  // rewards: tasks completed so far (0..4), first earned at step 32
  EXPECT_EQ(e.reward.sum().item<float>(), 779.0f);
  EXPECT_EQ(e.reward.nonzero()[0][0].item<int64_t>(), 32);
  EXPECT_EQ(e.reward[280].item<float>(), 4.0f);
  EXPECT_EQ(e.reward.max().item<float>(), 4.0f);
  // flags: first at 0, last at 280, never terminal
  EXPECT_EQ(e.is_first.sum().item<int64_t>(), 1);
  EXPECT_TRUE(e.is_first[0].item<bool>());
  EXPECT_EQ(e.is_last.sum().item<int64_t>(), 1);
  EXPECT_TRUE(e.is_last[280].item<bool>());
  EXPECT_FALSE(e.is_terminal.any().item<bool>());
  EXPECT_EQ(RobomimicLoss(e), "");
}

TEST_F(KitchenEpisodeTest, ConvertsToDemosAndBackExactly) {
  TempDir dir;
  const ConvertResult to_h5 = ConvertNpzToDemos({kKitchen}, dir.File("d.h5"), "kitchen");
  EXPECT_EQ(to_h5.count, 1);
  EXPECT_EQ(to_h5.steps, 280);
  const DemoFileSummary summary = SummarizeDemos(dir.File("d.h5"));
  EXPECT_EQ(summary.info.env_kind, "kitchen");
  EXPECT_EQ(summary.info.total, 280);
  EXPECT_EQ(summary.observations.at("pixels").shape, (std::vector<int64_t>{64, 64, 3}));
  EXPECT_EQ(summary.action.shape, std::vector<int64_t>{9});
  // back: the same arrays, names and dtypes
  const ConvertResult back = ConvertDemosToNpz(dir.File("d.h5"), dir.File("npz"));
  EXPECT_EQ(back.count, 1);
  ExpectSameArrays(ReadNpz(kKitchen), ReadNpz(dir.File("npz/episode_000000-280.npz")));
}

// every dataset of every demo, and the attributes, of two demo files
void ExpectSameDemoFiles(const std::string& a, const std::string& b) {
  const DemoFileSummary x = SummarizeDemos(a), y = SummarizeDemos(b);
  EXPECT_EQ(x.info.env_kind, y.info.env_kind);
  EXPECT_EQ(x.info.env_params, y.info.env_params);
  EXPECT_EQ(x.info.total, y.info.total);
  ASSERT_EQ(x.demos.size(), y.demos.size());
  h5::Handle fa = h5::OpenFile(a), fb = h5::OpenFile(b);
  for (size_t i = 0; i < x.demos.size(); ++i) {
    const std::string name = "data/" + x.demos[i].name;
    EXPECT_EQ(x.demos[i].name, y.demos[i].name);
    EXPECT_EQ(x.demos[i].steps, y.demos[i].steps);
    EXPECT_EQ(x.demos[i].terminal, y.demos[i].terminal);
    EXPECT_EQ(x.demos[i].metrics, y.demos[i].metrics);
    std::vector<std::string> paths = {"actions", "rewards", "dones"};
    for (const auto& [key, space] : x.observations) {
      paths.push_back("obs/" + key);
      paths.push_back("next_obs/" + key);
    }
    for (const std::string& path : paths) {
      h5::Handle da = h5::OpenDataset(fa.get(), name + "/" + path);
      h5::Handle db = h5::OpenDataset(fb.get(), name + "/" + path);
      const std::vector<int64_t> shape = h5::Shape(da.get());
      ASSERT_EQ(shape, h5::Shape(db.get())) << path;
      torch::Tensor ta = torch::empty(shape, torch::kFloat64), tb = ta.clone();
      h5::ReadRows(da.get(), 0, ta);
      h5::ReadRows(db.get(), 0, tb);
      EXPECT_TRUE(ta.equal(tb)) << name << "/" << path;
    }
  }
}

TEST(NpzConvertTest, DemosToNpzAndBackExactly) {
  TempDir dir;
  {
    DemoWriter writer(dir.File("a.h5"), "kitchen", Params());
    for (int i = 0; i < 3; ++i) writer.Add(MakeEpisode(i, 5 + i, /*terminal=*/i == 2));
    writer.Close();
  }
  const ConvertResult out = ConvertDemosToNpz(dir.File("a.h5"), dir.File("npz"));
  EXPECT_EQ(out.count, 3);
  EXPECT_TRUE(fs::exists(dir.File("npz/episode_000002-6.npz")));
  const ConvertResult in =
      ConvertNpzToDemos(ListNpzFiles(dir.File("npz")), dir.File("b.h5"), "kitchen");
  EXPECT_EQ(in.steps, 4 + 5 + 6);
  EXPECT_TRUE(in.notes.empty());
  ExpectSameDemoFiles(dir.File("a.h5"), dir.File("b.h5"));
  // a folder in the way, episodes that differ, an episode the layout cannot hold exactly
  EXPECT_THROW(ConvertDemosToNpz(dir.File("a.h5"), dir.File("npz")), DataError);
  Episode other = MakeEpisode(9, 4);
  other.observation.erase("state");
  WriteNpzEpisode(dir.File("npz/episode_000003-3.npz"), other);
  EXPECT_THROW(ConvertNpzToDemos(ListNpzFiles(dir.File("npz")), dir.File("c.h5"), "kitchen"),
               DataError);
  EXPECT_FALSE(fs::exists(dir.File("c.h5")));
  Episode shifted = MakeEpisode(9, 4);
  shifted.action[0].fill_(0.5);
  WriteNpzEpisode(dir.File("shifted.npz"), shifted);
  try {
    ConvertNpzToDemos({dir.File("shifted.npz")}, dir.File("c.h5"), "kitchen");
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("shifted.npz: cannot be stored exactly"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ListNpzFiles(dir.File("nothing")), DataError);
}

}  // namespace
}  // namespace imitate::engine
