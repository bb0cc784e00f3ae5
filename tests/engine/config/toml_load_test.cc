#include "engine/config/toml_load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/engine/config/config_test_util.h"

namespace imitate::engine::config {
namespace {

using ::imitate::engine::testing::ErrorOf;
using ::imitate::engine::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

toml::table LoadFile(const std::string& path) {
  SourceLines lines;
  return LoadTomlFile(path, &lines);
}

// ----- whole-file errors ----- //

TEST(LoadTomlFileTest, MissingFile) {
  TempDir dir;
  std::string path = dir.Path("nope.toml");
  EXPECT_EQ(ErrorOf([&] { LoadFile(path); }), path + ": file not found");
}

TEST(LoadTomlFileTest, Directory) {
  TempDir dir;
  dir.Write("sub/x.toml", "");
  EXPECT_EQ(ErrorOf([&] { LoadFile(dir.Path("sub")); }),
            dir.Path("sub") + ": is a directory, not a TOML file");
}

TEST(LoadTomlFileTest, SyntaxErrorHasPositionAndDescription) {
  TempDir dir;
  std::string path = dir.Write("bad.toml", "a = 1\nb = \n");
  EXPECT_THAT(
      ErrorOf([&] { LoadFile(path); }),
      AllOf(HasSubstr(path + ":2:"), HasSubstr("TOML syntax error"), HasSubstr("expected value")));
}

TEST(LoadTomlFileTest, BinaryFileGivesOnePrintableLine) {
  TempDir dir;
  std::string path = dir.Write("blob.toml", std::string("\x7f"
                                                        "ELF\0\0\x01\xff\n\x00zz",
                                                        11));
  std::string message = ErrorOf([&] { LoadFile(path); });  // checks printability
  EXPECT_THAT(message, AllOf(HasSubstr(path + ":1:"), HasSubstr("TOML syntax error")));
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(LoadTomlFileTest, IntegerOverflowIsOneLine) {
  TempDir dir;
  std::string path = dir.Write("big.toml", "seed = 99999999999999999999\n");
  EXPECT_THAT(ErrorOf([&] { LoadFile(path); }),
              AllOf(HasSubstr(path + ":1:"), HasSubstr("not representable in 64 bits")));
}

TEST(LoadTomlFileTest, EmptyFileIsAnEmptyTable) {
  TempDir dir;
  EXPECT_TRUE(LoadFile(dir.Write("empty.toml", "# nothing\n")).empty());
}

// ----- extends ----- //

TEST(ExtendsTest, ChainMergesDeepWithArraysReplaced) {
  TempDir dir;
  dir.Write("presets/base.toml",
            "seed = 1\nname = \"base\"\n[encoder]\nkind = \"mlp\"\nlayers = [1, 2, 3]\n");
  dir.Write("presets/mid.toml",
            "extends = \"base.toml\"\nseed = 2\n[encoder]\nhidden = 8\nlayers = [4]\n");
  std::string path = dir.Write("exp/a.toml", "extends = [\"../presets/mid.toml\"]\nseed = 3\n");
  toml::table t = LoadFile(path);
  EXPECT_FALSE(t.contains("extends"));
  EXPECT_EQ(t["seed"].value<int64_t>(), 3);
  EXPECT_EQ(t["name"].value<std::string>(), "base");
  EXPECT_EQ(t["encoder"]["kind"].value<std::string>(), "mlp");
  EXPECT_EQ(t["encoder"]["hidden"].value<int64_t>(), 8);
  ASSERT_TRUE(t["encoder"]["layers"].is_array());
  EXPECT_EQ(t["encoder"]["layers"].as_array()->size(), 1u);
}

TEST(ExtendsTest, LaterBasesOverrideEarlierOnes) {
  TempDir dir;
  dir.Write("one.toml", "seed = 1\nthreads = 1\n");
  dir.Write("two.toml", "seed = 2\n");
  toml::table t = LoadFile(dir.Write("a.toml", "extends = [\"one.toml\", \"two.toml\"]\n"));
  EXPECT_EQ(t["seed"].value<int64_t>(), 2);
  EXPECT_EQ(t["threads"].value<int64_t>(), 1);
}

TEST(ExtendsTest, NodesKeepTheirSourceFile) {
  TempDir dir;
  std::string base = dir.Write("base.toml", "\n\nseed = 7\n");
  toml::table t = LoadFile(dir.Write("a.toml", "extends = \"base.toml\"\n"));
  EXPECT_EQ(Where(t.get("seed")->source()), base + ":3:8");
}

TEST(ExtendsTest, MissingFileNamesBothFiles) {
  TempDir dir;
  std::string path = dir.Write("a.toml", "seed = 1\nextends = \"../gone/b.toml\"\n");
  std::string missing =
      (std::filesystem::path(dir.Path()).parent_path().parent_path() / "gone/b.toml").string();
  EXPECT_THAT(ErrorOf([&] { LoadFile(path); }),
              AllOf(HasSubstr(path + ":2:11: extends: file not found: "), HasSubstr(missing)));
}

TEST(ExtendsTest, DirectoryNamesBothFiles) {
  TempDir dir;
  dir.Write("sub/x.toml", "");
  std::string path = dir.Write("a.toml", "extends = \"sub\"\n");
  EXPECT_EQ(ErrorOf([&] { LoadFile(path); }),
            path + ":1:11: extends: " + dir.Path("sub") + " is a directory, not a TOML file");
}

TEST(ExtendsTest, CycleListsTheChain) {
  TempDir dir;
  dir.Write("b.toml", "extends = \"a.toml\"\n");
  std::string a = dir.Write("a.toml", "extends = \"b.toml\"\n");
  std::string message = ErrorOf([&] { LoadFile(a); });
  EXPECT_THAT(message, AllOf(HasSubstr("extends: cycle: "), HasSubstr("a.toml -> "),
                             HasSubstr("b.toml -> "), HasSubstr(dir.Path("b.toml") + ":1:11")));
}

TEST(ExtendsTest, SelfCycle) {
  TempDir dir;
  std::string a = dir.Write("a.toml", "extends = \"./a.toml\"\n");
  EXPECT_THAT(ErrorOf([&] { LoadFile(a); }), HasSubstr("cycle: " + a + " -> " + a));
}

TEST(ExtendsTest, DiamondIsNotACycle) {
  TempDir dir;
  dir.Write("d.toml", "seed = 4\n");
  dir.Write("b.toml", "extends = \"d.toml\"\n");
  dir.Write("c.toml", "extends = \"d.toml\"\n");
  toml::table t = LoadFile(dir.Write("a.toml", "extends = [\"b.toml\", \"c.toml\"]\n"));
  EXPECT_EQ(t["seed"].value<int64_t>(), 4);
}

TEST(ExtendsTest, WrongTypes) {
  TempDir dir;
  std::string a = dir.Write("a.toml", "extends = 3\n");
  EXPECT_THAT(ErrorOf([&] { LoadFile(a); }),
              HasSubstr(a + ":1:11: extends: expected a path or an array of paths, got integer 3"));
  std::string b = dir.Write("b.toml", "extends = [\"x.toml\", 3]\n");
  EXPECT_THAT(ErrorOf([&] { LoadFile(b); }),
              HasSubstr(b + ":1:22: extends[1]: expected string, got integer 3"));
}

TEST(ExtendsTest, SyntaxErrorInBaseNamesTheBase) {
  TempDir dir;
  std::string base = dir.Write("base.toml", "x = = 1\n");
  std::string a = dir.Write("a.toml", "extends = \"base.toml\"\n");
  EXPECT_THAT(ErrorOf([&] { LoadFile(a); }), HasSubstr(base + ":1:"));
}

// ----- merge ----- //

TEST(MergeTablesTest, TableReplacesScalarAndBack) {
  toml::table into = toml::parse("a = 1\n[t]\nx = 1\n");
  MergeTables(into, toml::parse("t = 2\n[a]\ny = 1\n"));
  EXPECT_EQ(into["t"].value<int64_t>(), 2);
  EXPECT_EQ(into["a"]["y"].value<int64_t>(), 1);
}

// ----- overrides ----- //

TEST(ApplyOverrideTest, TomlValues) {
  toml::table root = toml::parse("[schedule]\nenv_steps = 5\n");
  ApplyOverride(root, "schedule.env_steps=10");
  ApplyOverride(root, "encoder.layers=[1, 2]");
  ApplyOverride(root, "device = \"cuda:0\"");
  EXPECT_EQ(root["schedule"]["env_steps"].value<int64_t>(), 10);
  EXPECT_EQ(root["encoder"]["layers"].as_array()->size(), 2u);
  EXPECT_EQ(root["device"].value<std::string>(), "cuda:0");
  EXPECT_EQ(Where(root["schedule"]["env_steps"].node()->source()), "--set schedule.env_steps=10");
}

TEST(ApplyOverrideTest, BareStrings) {
  toml::table root;
  ApplyOverride(root, "environment.kind=point_mass");
  ApplyOverride(root, "name=run-1.5");
  ApplyOverride(root, "x=1\ny=2");  // cannot inject a second key
  EXPECT_EQ(root["environment"]["kind"].value<std::string>(), "point_mass");
  EXPECT_EQ(root["name"].value<std::string>(), "run-1.5");
  EXPECT_EQ(root["x"].value<std::string>(), "1\ny=2");
  EXPECT_FALSE(root.contains("y"));
}

TEST(ApplyOverrideTest, Errors) {
  toml::table root;
  EXPECT_EQ(ErrorOf([&] { ApplyOverride(root, "seed"); }),
            "--set seed: expected --set key.path=value");
  EXPECT_EQ(ErrorOf([&] { ApplyOverride(root, "=3"); }),
            "--set =3: the key path before '=' is empty");
  EXPECT_THAT(ErrorOf([&] { ApplyOverride(root, "a..b=3"); }),
              HasSubstr("--set a..b=3: 'a..b' is not a valid key path"));
}

}  // namespace
}  // namespace imitate::engine::config
