// Validation of whole experiments: each error names file:line:column, the key path and a hint.
#include "engine/config/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/engine/config/config_test_util.h"

namespace imitate::engine {
namespace {

using ::imitate::engine::testing::ErrorOf;
using ::imitate::engine::testing::kMinimal;
using ::imitate::engine::testing::Load;
using ::imitate::engine::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

// ----- a valid experiment ----- //

TEST(ValidateTest, MinimalExperimentGetsDefaults) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", kMinimal);
  Experiment e = Load(path);
  EXPECT_EQ(e.path, path);
  EXPECT_EQ(e.name, "t");
  EXPECT_EQ(e.seed, 0);
  EXPECT_EQ(e.device, "cpu");
  EXPECT_EQ(e.threads, 0);
  EXPECT_TRUE(e.environment.present);
  EXPECT_EQ(e.environment.kind, "point_mass");
  EXPECT_EQ(e.environment.params.path(), "environment");
  EXPECT_DOUBLE_EQ(e.environment.params.Float("size"), 1.0);
  EXPECT_TRUE(e.environment.params.IsDefault("size"));
  EXPECT_EQ(e.environment.specs.size(), 3u);
  EXPECT_FALSE(e.dynamics.present);
  EXPECT_FALSE(e.reward.present);
  EXPECT_EQ(e.demos.String("path"), "demos.h5");
  EXPECT_EQ(e.demos.Int("count"), 0);
  EXPECT_EQ(e.schedule.Int("train_every"), 5);
  EXPECT_TRUE(e.schedule.IsDefault("train_every"));
}

TEST(ValidateTest, NameDefaultsToTheFileStem) {
  TempDir dir;
  std::string text = kMinimal;
  Experiment e = Load(dir.Write("kitchen-cmil.toml", text.substr(text.find('\n') + 1)));
  EXPECT_EQ(e.name, "kitchen-cmil");
}

TEST(ValidateTest, FullExperiment) {
  TempDir dir;
  std::string path = dir.Write("exp.toml",
                               "seed = 3\ndevice = \"cuda:1\"\nthreads = 2\n"
                               "[environment]\nkind = \"kitchen\"\ntasks = [\"a\", \"b\"]\n"
                               "[demos]\npath = \"d.h5\"\ncount = 10\n"
                               "[encoder]\nkind = \"conv\"\n"
                               "[dynamics]\nkind = \"rssm\"\nfree_nats = [3]\n"
                               "[reward]\nkind = \"discriminator\"\ninstance_noise = 2\n"
                               "[optimizer]\nkind = \"cmil\"\nhorizon = 15\n"
                               "[schedule]\nenv_steps = 200_000\n");
  Experiment e = Load(path);
  EXPECT_EQ(e.seed, 3);
  EXPECT_EQ(e.device, "cuda:1");
  EXPECT_EQ(e.threads, 2);
  EXPECT_EQ(e.environment.params.StringList("tasks"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e.dynamics.params.FloatList("free_nats"), std::vector<double>{3.0});
  EXPECT_DOUBLE_EQ(e.reward.params.Float("instance_noise"), 2.0);
  EXPECT_EQ(e.optimizer.params.Int("horizon"), 15);
  EXPECT_EQ(e.schedule.Int("env_steps"), 200000);
  EXPECT_FALSE(e.schedule.IsDefault("env_steps"));
}

// ----- structure ----- //

TEST(ValidateTest, EmptyFileSaysSoAndNamesTheTables) {
  TempDir dir;
  std::string path = dir.Write("empty.toml", "");
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path +
                ": the file is empty; an experiment needs the tables [environment], [demos], "
                "[encoder], [optimizer]");
}

TEST(ValidateTest, MissingRequiredTable) {
  TempDir dir;
  std::string text = kMinimal;
  std::string path = dir.Write("exp.toml", text.substr(0, text.find("[optimizer]")));
  EXPECT_EQ(ErrorOf([&] { Load(path); }), path + ": missing required table [optimizer]");
}

TEST(ValidateTest, UnknownTopLevelTable) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", std::string(kMinimal) + "[optimzer]\nkind = \"bc\"\n");
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              HasSubstr(path + ":10:2: optimzer: unknown table (did you mean 'optimizer'?)"));
}

TEST(ValidateTest, UnknownTopLevelKey) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", "sed = 1\n" + std::string(kMinimal));
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              HasSubstr(path + ":1:1: sed: unknown key (did you mean 'seed'?)"));
}

TEST(ValidateTest, TableThatIsNotATable) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", "schedule = 3\n" + std::string(kMinimal));
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path + ":1:12: schedule: expected a table, got integer 3");
}

// ----- plugin tables ----- //

TEST(ValidateTest, UnknownKindListsAvailable) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(text.find("point_mass"), 10, "point_mas");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path +
                ":3:8: environment.kind: unknown environment \"point_mas\" (did you mean "
                "\"point_mass\"?); available: kitchen, point_mass");
}

TEST(ValidateTest, UnknownKindWithControlCharactersStaysOneLine) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(text.find("\"point_mass\""), 12, "\"a\\nb\"");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_THAT(ErrorOf([&] { Load(path); }), HasSubstr("unknown environment \"a\\x0ab\""));
}

TEST(ValidateTest, MissingKind) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(text.find("kind = \"mlp\""), 12, "hidden = 3");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path +
                ":6:1: encoder.kind: missing: name the encoder plugin to use (available: "
                "conv, mlp)");
}

TEST(ValidateTest, KindOfWrongType) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(text.find("kind = \"mlp\""), 12, "kind = 3");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path + ":7:8: encoder.kind: expected string, got integer 3");
}

TEST(ValidateTest, UnknownPluginKey) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", std::string(kMinimal) + "hiden = 3\n");
  // the key lands in [optimizer] (the last table): suggestions come from bc's params
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              HasSubstr(path + ":10:1: optimizer.hiden: unknown key; known keys: lr"));
  std::string text = kMinimal;
  text.insert(text.find("[optimizer]"), "hiden = 3\n");
  path = dir.Write("exp2.toml", text);
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              HasSubstr(path + ":8:1: encoder.hiden: unknown key (did you mean 'hidden'?)"));
}

TEST(ValidateTest, PluginParamWrongType) {
  TempDir dir;
  std::string text = kMinimal;
  text.insert(text.find("[demos]"), "size = \"x\"\n");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path + ":4:8: environment.size: expected float, got string \"x\"");
}

TEST(ValidateTest, PluginParamChoices) {
  TempDir dir;
  std::string text = kMinimal;
  text.insert(text.find("[demos]"), "mode = \"dens\"\n");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              AllOf(HasSubstr(path + ":4:8: environment.mode: \"dens\" is not one of ["),
                    HasSubstr("did you mean \"dense\"")));
}

TEST(ValidateTest, RequiredPluginParamMissing) {
  TempDir dir;
  std::string text = kMinimal;
  text += "[dynamics]\nkind = \"rssm\"\n[reward]\nkind = \"discriminator\"\n";
  text.replace(text.find("kind = \"bc\""), 11, "kind = \"cmil\"");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path + ":8:1: optimizer.horizon: required integer is missing (imagination horizon)");
}

TEST(ValidateTest, OptimizerRequiresComponents) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(text.find("kind = \"bc\""), 11, "kind = \"cmil\"\nhorizon = 5");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path +
                ":9:8: optimizer.kind: optimizer \"cmil\" requires a [dynamics] table, which "
                "is missing");
}

// ----- engine tables and top-level values ----- //

TEST(ValidateTest, NegativeAndZeroWherePositiveIsNeeded) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", std::string(kMinimal) + "[schedule]\nenv_steps = -1\n");
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              HasSubstr(path + ":11:13: schedule.env_steps: -1 is out of range: expected a value "
                               ">= 0"));
  path = dir.Write("exp2.toml", std::string(kMinimal) + "[schedule]\ntrain_every = 0\n");
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              HasSubstr(path + ":11:15: schedule.train_every: 0 is out of range: expected a "
                               "value >= 1"));
  path = dir.Write("exp3.toml", "seed = -4\n" + std::string(kMinimal).substr(11));
  EXPECT_THAT(ErrorOf([&] { Load(path); }), HasSubstr(path + ":1:8: seed: -4"));
}

TEST(ValidateTest, ThreadsRange) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", "threads = 2000\n" + std::string(kMinimal));
  EXPECT_THAT(ErrorOf([&] { Load(path); }),
              AllOf(HasSubstr(path + ":1:11: threads: "), HasSubstr("[0, 1024]")));
}

TEST(ValidateTest, WrongTopLevelType) {
  TempDir dir;
  std::string path = dir.Write("exp.toml", "seed = \"abc\"\n" + std::string(kMinimal));
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path + ":1:8: seed: expected integer, got string \"abc\"");
}

TEST(ValidateTest, Device) {
  TempDir dir;
  for (const char* ok : {"cpu", "cuda", "cuda:0", "cuda:12"}) {
    std::string path =
        dir.Write("ok.toml", "device = \"" + std::string(ok) + "\"\n" + std::string(kMinimal));
    EXPECT_EQ(Load(path).device, ok);
  }
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "CPU"}) {
    std::string path =
        dir.Write("bad.toml", "device = \"" + std::string(bad) + "\"\n" + std::string(kMinimal));
    EXPECT_THAT(ErrorOf([&] { Load(path); }),
                HasSubstr(path + ":1:10: device: \"" + bad + "\" is not a device"));
  }
}

TEST(ValidateTest, BadName) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(0, text.find('\n'), "name = \"a/b\"");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_THAT(ErrorOf([&] { Load(path); }), HasSubstr(path + ":1:8: name: \"a/b\" cannot name"));
}

TEST(ValidateTest, DemosPathRequiredAndNonEmpty) {
  TempDir dir;
  std::string text = kMinimal;
  text.replace(text.find("path = \"demos.h5\""), 17, "count = 2");
  std::string path = dir.Write("exp.toml", text);
  EXPECT_EQ(ErrorOf([&] { Load(path); }),
            path +
                ":4:1: demos.path: required string is missing (the HDF5 demo file; a relative "
                "path is relative to the working directory)");
  text = kMinimal;
  text.replace(text.find("\"demos.h5\""), 10, "\"\"");
  path = dir.Write("exp2.toml", text);
  EXPECT_THAT(ErrorOf([&] { Load(path); }), HasSubstr(path + ":5:8: demos.path: must name"));
}

TEST(ValidateTest, ErrorInBaseFilePointsAtTheBase) {
  TempDir dir;
  std::string base = dir.Write("presets/base.toml", "[schedule]\nbatch_size = 0\n");
  std::string path =
      dir.Write("exp/exp.toml", "extends = \"../presets/base.toml\"\n" + std::string(kMinimal));
  EXPECT_THAT(ErrorOf([&] { Load(path); }), HasSubstr(base + ":2:14: schedule.batch_size: 0"));
}

}  // namespace
}  // namespace imitate::engine
