// `imitate demos convert` and `imitate demos info` through the real executable, on the real
// Dreamer episode in ../shared/testdata.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/data/npz.h"
#include "tests/integration/cli_runner.h"

namespace imitate::testing {
namespace {

namespace fs = std::filesystem;

const std::string kShared = IMITATE_SHARED_TESTDATA_DIR;
const std::string kKitchen = kShared + "/kitchen-demo-episode-280.npz";

class DemosConvertTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("demos_convert"); }
  void TearDown() override { fs::remove_all(dir_); }

  // runs `imitate args...` and expects success
  CliResult Ok(const std::vector<std::string>& args) {
    CliResult r = RunCli(args, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  // runs `imitate args...` and expects exit code 1 with one stderr line containing `part`
  void ExpectUserError(const std::vector<std::string>& args, const std::string& part) {
    CliResult r = RunCli(args, dir_);
    SCOPED_TRACE("stderr: " + r.err);
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line";
    EXPECT_EQ(r.err.rfind("imitate: error: ", 0), 0u);
    EXPECT_NE(r.err.find(part), std::string::npos) << part;
  }

  std::string dir_;
};

void ExpectContains(const std::string& text, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " in:\n" << text;
  }
}

TEST_F(DemosConvertTest, BothWaysAndInfo) {
  if (!fs::is_directory(kShared)) GTEST_SKIP() << "no shared test data at " << kShared;
  fs::create_directories(dir_ + "/in");
  fs::copy_file(kKitchen, dir_ + "/in/" + fs::path(kKitchen).filename().string());
  // npz folder -> demo file
  CliResult r = Ok({"demos", "convert", "in", "d.h5"});
  ExpectContains(r.out, {"converted 1 episodes (280 steps)"});
  // info: count, lengths, keys with dtype and shape, environment
  r = Ok({"demos", "info", "d.h5"});
  ExpectContains(r.out, {"d.h5: 1 demos, 280 steps", "environment: kitchen", "env params: (none)",
                         "pixels", "uint8", "[64, 64, 3]", "float32", "[9]", "demo_0", "280"});
  // demo file -> npz folder, identical arrays; and back to a demo file with the same info
  Ok({"demos", "convert", "d.h5", "out"});
  const std::string episode = dir_ + "/out/episode_000000-280.npz";
  ASSERT_TRUE(fs::exists(episode));
  const engine::NpzArrays a = engine::ReadNpz(kKitchen), b = engine::ReadNpz(episode);
  const std::map<std::string, torch::Tensor> x(a.begin(), a.end()), y(b.begin(), b.end());
  ASSERT_EQ(x.size(), y.size());
  for (const auto& [name, t] : x) {
    ASSERT_TRUE(y.count(name)) << name;
    EXPECT_EQ(t.scalar_type(), y.at(name).scalar_type()) << name;
    EXPECT_TRUE(t.equal(y.at(name))) << name;
  }
  Ok({"demos", "convert", "out", "d2.h5", "--env", "kitchen"});
  const std::string info = Ok({"demos", "info", "d.h5"}).out;
  std::string info2 = Ok({"demos", "info", "d2.h5"}).out;
  EXPECT_EQ(info, info2.replace(0, 6, "d.h5:"));
}

TEST_F(DemosConvertTest, BadInput) {
  ExpectUserError({"demos", "convert", "missing", "d.h5"}, "missing: no such file or folder");
  fs::create_directories(dir_ + "/empty");
  ExpectUserError({"demos", "convert", "empty", "d.h5"}, "empty: no .npz episodes");
  fs::create_directories(dir_ + "/corrupt");
  WriteFile(dir_ + "/corrupt/ep.npz", std::string("PK\x03\x04", 4) + std::string(100, 'x'));
  ExpectUserError({"demos", "convert", "corrupt", "d.h5"}, "ep.npz");
  EXPECT_FALSE(fs::exists(dir_ + "/d.h5"));
  WriteFile(dir_ + "/text.h5", "not hdf5");
  ExpectUserError({"demos", "convert", "text.h5", "out"}, "text.h5");
  ExpectUserError({"demos", "info", "missing.h5"}, "missing.h5");
  // making demos still needs ENV, --expert and --out
  ExpectUserError({"demos"}, "ENV");
  ExpectUserError({"demos", "point_mass", "--out", "d.h5"}, "--expert");
  ExpectUserError({"demos", "point_mass", "--expert", "point_mass"}, "--out");
  EXPECT_EQ(RunCli({"demos", "convert", "in"}, dir_).exit_code, 1);  // CLI11's usage message
  EXPECT_EQ(RunCli({"demos", "convert", "--help"}, dir_).exit_code, 0);
}

}  // namespace
}  // namespace imitate::testing
