#include "engine/config/table_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/engine/config/config_test_util.h"

namespace imitate::engine::config {
namespace {

using ::imitate::engine::testing::ErrorOf;
using ::testing::HasSubstr;

const ParamSpecs& Specs() {
  static const ParamSpecs specs = {
      IntParam("hidden", 256, "units").Range(1, 4096),
      FloatParam("lr", 0.001, "learning rate").Min(0),
      RequiredParam("path", ParamType::kString, "the data file"),
      FloatListParam("scales", {1.0}, "scales"),
  };
  return specs;
}

Params ParseTable(const std::string& text, SourceLines lines = {}) {
  toml::table t = toml::parse(text, std::string("f.toml"));
  return TableParams(*t.get_as<toml::table>("tbl"), "tbl", Specs(), lines,
                     Where(t.get("tbl")->source()), {"kind"});
}

TEST(TableParamsTest, DefaultsFilledAndMarked) {
  Params p = ParseTable("[tbl]\nkind = \"x\"\npath = \"d.h5\"\nhidden = 8\n");
  EXPECT_EQ(p.path(), "tbl");
  EXPECT_EQ(p.Int("hidden"), 8);
  EXPECT_FALSE(p.IsDefault("hidden"));
  EXPECT_DOUBLE_EQ(p.Float("lr"), 0.001);
  EXPECT_TRUE(p.IsDefault("lr"));
  EXPECT_EQ(p.String("path"), "d.h5");
}

TEST(TableParamsTest, IntegersCoercedToFloats) {
  Params p = ParseTable("[tbl]\npath = \"d\"\nlr = 1\nscales = [1, 2]\n");
  EXPECT_DOUBLE_EQ(p.Float("lr"), 1.0);
  EXPECT_EQ(p.FloatList("scales"), (std::vector<double>{1.0, 2.0}));
}

TEST(TableParamsTest, UnknownKeyPointsAtTheKeyWithSuggestion) {
  EXPECT_THAT(ErrorOf([] { ParseTable("[tbl]\npath = \"d\"\n  hiden = 3\n"); }),
              HasSubstr("f.toml:3:3: tbl.hiden: unknown key (did you mean 'hidden'?); known keys: "
                        "hidden, lr, path, scales"));
}

TEST(TableParamsTest, WrongType) {
  EXPECT_EQ(ErrorOf([] { ParseTable("[tbl]\npath = \"d\"\nlr = \"x\"\n"); }),
            "f.toml:3:6: tbl.lr: expected float, got string \"x\"");
  EXPECT_EQ(ErrorOf([] { ParseTable("[tbl]\npath = \"d\"\nhidden = \"abc\"\n"); }),
            "f.toml:3:10: tbl.hidden: expected integer, got string \"abc\"");
}

TEST(TableParamsTest, OutOfRange) {
  EXPECT_THAT(ErrorOf([] { ParseTable("[tbl]\npath = \"d\"\nhidden = 0\n"); }),
              HasSubstr("f.toml:3:10: tbl.hidden: 0 is out of range: expected a value in [1, "
                        "4096]"));
  EXPECT_THAT(ErrorOf([] { ParseTable("[tbl]\npath = \"d\"\nlr = -0.5\n"); }),
              HasSubstr("f.toml:3:6: tbl.lr: -0.5 is out of range: expected a value >= 0"));
}

TEST(TableParamsTest, MissingRequiredNamesTheTable) {
  EXPECT_EQ(ErrorOf([] { ParseTable("\n[tbl]\nhidden = 3\n"); }),
            "f.toml:2:1: tbl.path: required string is missing (the data file)");
}

TEST(TableParamsTest, DefaultMarkerKeepsDefaultFlag) {
  std::string text = "[tbl]\npath = \"d\"\nhidden = 256  # default\nlr = 0.5  # default\n";
  SourceLines lines = {
      {"f.toml", {"[tbl]", "path = \"d\"", "hidden = 256  # default", "lr = 0.5  # default"}}};
  Params p = ParseTable(text, lines);
  EXPECT_TRUE(p.IsDefault("hidden"));
  EXPECT_FALSE(p.IsDefault("lr"));  // no longer the default: the value wins
  EXPECT_DOUBLE_EQ(p.Float("lr"), 0.5);
}

TEST(WhereKeyTest, KeyOrFallback) {
  toml::table t = toml::parse("a = 1\n", std::string("f.toml"));
  EXPECT_EQ(WhereKey(t, "a", "x"), "f.toml:1:5");
  EXPECT_EQ(WhereKey(t, "b", "x"), "x");
}

}  // namespace
}  // namespace imitate::engine::config
