#include "engine/config/overrides.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/engine/config/config_test_util.h"

namespace imitate::engine {
namespace {

using ::imitate::engine::testing::ErrorOf;
using ::testing::HasSubstr;

TEST(SplitOverrideTest, TrimsAndSplitsAtTheFirstEquals) {
  EXPECT_EQ(SplitOverride(" a.b = x=y "), std::make_pair(std::string("a.b"), std::string("x=y")));
  EXPECT_EQ(ErrorOf([] { SplitOverride("a.b"); }), "--set a.b: expected --set key.path=value");
  EXPECT_EQ(ErrorOf([] { SplitOverride(" =1"); }), "--set  =1: the key path before '=' is empty");
}

TEST(ParseOverrideTest, TomlValues) {
  EXPECT_EQ(ParseOverride("seed=3").second, ParamValue(int64_t{3}));
  EXPECT_EQ(ParseOverride("lr=0.5").second, ParamValue(0.5));
  EXPECT_EQ(ParseOverride("on=true").second, ParamValue(true));
  EXPECT_EQ(ParseOverride("name=\"x y\"").second, ParamValue(std::string("x y")));
  EXPECT_EQ(ParseOverride("l=[1, 2]").second, ParamValue(std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ParseOverride("l=[1, 2.5]").second, ParamValue(std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(ParseOverride("l=[\"a\"]").second, ParamValue(std::vector<std::string>{"a"}));
  EXPECT_EQ(ParseOverride("environment.kind=x").first, "environment.kind");
}

TEST(ParseOverrideTest, BareStrings) {
  EXPECT_EQ(ParseOverride("kind=point_mass").second, ParamValue(std::string("point_mass")));
  EXPECT_EQ(ParseOverride("v=1.2.3").second, ParamValue(std::string("1.2.3")));
  EXPECT_EQ(ParseOverride("v=").second, ParamValue(std::string("")));
}

TEST(ParseOverrideTest, UnsupportedValues) {
  EXPECT_THAT(ErrorOf([] { ParseOverride("t={a = 1}"); }),
              HasSubstr("--set t={a = 1}: t: expected a boolean, number, string or flat array, "
                        "got table"));
  EXPECT_THAT(ErrorOf([] { ParseOverride("t=[[1]]"); }), HasSubstr("got array"));
}

}  // namespace
}  // namespace imitate::engine
