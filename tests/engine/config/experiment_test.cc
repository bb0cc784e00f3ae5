// LoadExperiment end to end: presets, overrides and the preset search path.
#include "engine/config/experiment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "tests/engine/config/config_test_util.h"

namespace imitate::engine {
namespace {

using ::imitate::engine::testing::ErrorOf;
using ::imitate::engine::testing::kMinimal;
using ::imitate::engine::testing::Load;
using ::imitate::engine::testing::TempDir;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

// sets IMITATE_SOURCE_DIR for one test
class ScopedSourceDir {
 public:
  explicit ScopedSourceDir(const std::string& dir) {
    const char* old = getenv("IMITATE_SOURCE_DIR");
    if (old != nullptr) old_ = old;
    setenv("IMITATE_SOURCE_DIR", dir.c_str(), 1);
  }
  ~ScopedSourceDir() {
    if (old_.empty()) {
      unsetenv("IMITATE_SOURCE_DIR");
    } else {
      setenv("IMITATE_SOURCE_DIR", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

// ----- missing files ----- //

TEST(LoadExperimentTest, MissingFile) {
  TempDir dir;
  EXPECT_EQ(ErrorOf([&] { Load(dir.Path("x.toml")); }), dir.Path("x.toml") + ": file not found");
}

TEST(LoadExperimentTest, Directory) {
  TempDir dir;
  EXPECT_THAT(ErrorOf([&] { Load(dir.Path()); }), HasSubstr("is a directory, not a TOML file"));
}

// ----- presets ----- //

TEST(PresetTest, FoundBesideAndAboveTheFile) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("nowhere"));
  dir.Write("presets/debug.toml", "seed = 9\n[schedule]\nenv_steps = 10\n");
  dir.Write("exp/presets/fast.toml", "[schedule]\nenv_steps = 20\nbatch_size = 4\n");
  std::string path = dir.Write("exp/a.toml", kMinimal);
  Experiment e = Load(path, {}, {"debug", "fast"});
  EXPECT_EQ(e.seed, 9);
  EXPECT_EQ(e.schedule.Int("env_steps"), 20);  // presets apply in order
  EXPECT_EQ(e.schedule.Int("batch_size"), 4);
}

TEST(PresetTest, NearestFolderWins) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("nowhere"));
  dir.Write("presets/debug.toml", "seed = 1\n");
  dir.Write("exp/presets/debug.toml", "seed = 2\n");
  EXPECT_EQ(Load(dir.Write("exp/a.toml", kMinimal), {}, {"debug"}).seed, 2);
}

TEST(PresetTest, AppliesAfterTheFileAndItsExtends) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("nowhere"));
  dir.Write("presets/small.toml", "extends = \"common.toml\"\nthreads = 2\n");
  dir.Write("presets/common.toml", "seed = 5\n");
  dir.Write("base.toml", "seed = 1\nthreads = 1\n");
  std::string path =
      dir.Write("a.toml", "extends = \"base.toml\"\nseed = 3\n" + std::string(kMinimal));
  Experiment e = Load(path, {}, {"small"});
  EXPECT_EQ(e.seed, 5);
  EXPECT_EQ(e.threads, 2);
}

TEST(PresetTest, SourceTreePresetsFromEnvironment) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("src"));
  dir.Write("src/experiments/presets/paper.toml", "seed = 42\n");
  std::string path = dir.Write("work/a.toml", kMinimal);
  EXPECT_EQ(Load(path, {}, {"paper"}).seed, 42);
  std::vector<std::string> folders = PresetSearchPath(path);
  EXPECT_THAT(folders, Contains(fs::weakly_canonical(dir.Path("src/experiments/presets"))));
}

TEST(PresetTest, UnknownPresetListsAvailable) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("nowhere"));
  dir.Write("presets/debug.toml", "");
  dir.Write("presets/small.toml", "");
  std::string path = dir.Write("a.toml", kMinimal);
  EXPECT_THAT(ErrorOf([&] { Load(path, {}, {"smal"}); }),
              AllOf(HasSubstr("--preset smal: unknown preset (did you mean 'small'?); "
                              "available: debug, small"),
                    HasSubstr(fs::weakly_canonical(dir.Path("presets")).string())));
}

TEST(PresetTest, ErrorInPresetNamesThePresetFile) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("nowhere"));
  std::string preset = dir.Write("presets/bad.toml", "[schedule]\neval_episodes = 0\n");
  std::string path = dir.Write("a.toml", kMinimal);
  EXPECT_THAT(ErrorOf([&] { Load(path, {}, {"bad"}); }),
              HasSubstr(":2:17: schedule.eval_episodes: 0"));
  EXPECT_THAT(ErrorOf([&] { Load(path, {}, {"bad"}); }), HasSubstr("bad.toml"));
}

TEST(PresetSearchPathTest, ParentsThenSourceTree) {
  TempDir dir;
  ScopedSourceDir source(dir.Path("src"));
  fs::create_directories(dir.Path("src/experiments/presets"));
  fs::create_directories(dir.Path("a/presets"));
  fs::create_directories(dir.Path("a/b/presets"));
  std::vector<std::string> folders = PresetSearchPath(dir.Path("a/b/exp.toml"));
  ASSERT_GE(folders.size(), 3u);
  EXPECT_EQ(folders[0], fs::weakly_canonical(dir.Path("a/b/presets")).string());
  EXPECT_EQ(folders[1], fs::weakly_canonical(dir.Path("a/presets")).string());
  EXPECT_EQ(folders.back(), fs::weakly_canonical(dir.Path("src/experiments/presets")).string());
}

TEST(PresetSearchPathTest, BuildSourceTreeByDefault) {
  // without the environment variable, the compiled-in source tree's presets are searched
  TempDir dir;
  ScopedSourceDir source("");
  std::vector<std::string> folders = PresetSearchPath(dir.Path("exp.toml"));
  fs::path built = fs::path(IMITATE_TEST_SOURCE_DIR) / "experiments" / "presets";
  if (fs::is_directory(built)) {
    EXPECT_THAT(folders, Contains(fs::weakly_canonical(built).string()));
  }
}

// ----- overrides ----- //

TEST(OverrideTest, SetsAndCreatesValues) {
  TempDir dir;
  std::string path = dir.Write("a.toml", kMinimal);
  Experiment e = Load(path, {"seed=4", "schedule.env_steps=1000", "environment.kind=kitchen",
                             "environment.tasks=[\"x\"]", "optimizer.lr=1"});
  EXPECT_EQ(e.seed, 4);
  EXPECT_EQ(e.schedule.Int("env_steps"), 1000);
  EXPECT_EQ(e.environment.kind, "kitchen");
  EXPECT_EQ(e.environment.params.StringList("tasks"), std::vector<std::string>{"x"});
  EXPECT_DOUBLE_EQ(e.optimizer.params.Float("lr"), 1.0);
}

TEST(OverrideTest, LastOverrideWinsAndCreatesTables) {
  TempDir dir;
  std::string path = dir.Write("a.toml", kMinimal);
  Experiment e = Load(path, {"seed=1", "seed=2", "dynamics.kind=rssm", "dynamics.deter=3"});
  EXPECT_EQ(e.seed, 2);
  EXPECT_TRUE(e.dynamics.present);
  EXPECT_EQ(e.dynamics.params.Int("deter"), 3);
}

TEST(OverrideTest, ErrorsNameTheOverride) {
  TempDir dir;
  std::string path = dir.Write("a.toml", kMinimal);
  EXPECT_EQ(ErrorOf([&] { Load(path, {"schedule.env_steps=-1"}); }),
            "--set schedule.env_steps=-1: schedule.env_steps: -1 is out of range: expected a "
            "value >= 0");
  EXPECT_EQ(ErrorOf([&] { Load(path, {"seed=abc"}); }),
            "--set seed=abc: seed: expected integer, got string \"abc\"");
  EXPECT_THAT(ErrorOf([&] { Load(path, {"encoder.hiden=3"}); }),
              HasSubstr("--set encoder.hiden=3: encoder.hiden: unknown key (did you mean "
                        "'hidden'?)"));
  EXPECT_EQ(ErrorOf([&] { Load(path, {"seed"}); }), "--set seed: expected --set key.path=value");
  EXPECT_EQ(ErrorOf([&] { Load(path, {"=1"}); }), "--set =1: the key path before '=' is empty");
  EXPECT_THAT(ErrorOf([&] { Load(path, {"extends=\"x.toml\""}); }),
              HasSubstr("extends: only an experiment or preset file can extend others"));
}

}  // namespace
}  // namespace imitate::engine
