#include "engine/config/toml_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "imitate/sdk/errors.h"

namespace imitate::engine::config {
namespace {

using ::testing::HasSubstr;

toml::table Parse(const std::string& text, const std::string& path = "f.toml") {
  return toml::parse(text, std::string(path));
}

// ----- positions and messages ----- //

TEST(WhereTest, FileLineColumn) {
  toml::table t = Parse("a = 1\nbb = 2\n");
  EXPECT_EQ(Where(t.get("bb")->source()), "f.toml:2:6");
}

TEST(WhereTest, OverrideIsNamedWithoutPosition) {
  toml::table t = Parse("a = 1\n", "--set a=1");
  EXPECT_EQ(Where(t.get("a")->source()), "--set a=1");
}

TEST(WhereTest, FallbackWithoutSource) {
  toml::table t;
  EXPECT_EQ(Where(t.source(), "exp.toml"), "exp.toml");
}

TEST(FailTest, ThrowsOneLineConfigError) {
  try {
    Fail("f.toml:1:2", "a.b", "bad\nvalue");
    FAIL() << "no throw";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "f.toml:1:2: a.b: bad\\x0avalue");
  }
}

TEST(PrintableTest, EscapesControlBytesAndBrokenUtf8) {
  EXPECT_EQ(Printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(Printable("x\xff"), "x\\xff");
  EXPECT_EQ(Printable("gr\xc3\xb6\xc3\x9f"
                      "e"),
            "gr\xc3\xb6\xc3\x9f"
            "e");                         // valid UTF-8 kept
  EXPECT_EQ(Printable("\xc3"), "\\xc3");  // truncated sequence
}

TEST(JoinKeyTest, TopLevelHasNoDot) {
  EXPECT_EQ(JoinKey("", "seed"), "seed");
  EXPECT_EQ(JoinKey("schedule", "env_steps"), "schedule.env_steps");
}

TEST(DescribeTest, NamesTypeAndValue) {
  toml::table t = Parse("s = \"abc\"\ni = 3\nf = 1.5\nb = true\nt = {}\na = [1, 2]\n");
  EXPECT_EQ(Describe(*t.get("s")), "string \"abc\"");
  EXPECT_EQ(Describe(*t.get("i")), "integer 3");
  EXPECT_EQ(Describe(*t.get("f")), "float 1.5");
  EXPECT_EQ(Describe(*t.get("b")), "boolean true");
  EXPECT_EQ(Describe(*t.get("t")), "table");
  EXPECT_THAT(Describe(*t.get("a")), HasSubstr("array"));
}

// ----- TOML -> ParamValue ----- //

TEST(NodeToValueTest, ScalarsAndLists) {
  toml::table t = Parse("i = 3\nints = [1, 2]\nmixed = [1, 2.5]\nstrs = [\"a\"]\nempty = []\n");
  ParamValue v;
  EXPECT_EQ(NodeToValue(*t.get("i"), IntParam("x", 0, ""), &v), "");
  EXPECT_EQ(v, ParamValue(int64_t{3}));
  EXPECT_EQ(NodeToValue(*t.get("ints"), IntListParam("x", {}, ""), &v), "");
  EXPECT_EQ(v, ParamValue(std::vector<int64_t>{1, 2}));
  EXPECT_EQ(NodeToValue(*t.get("ints"), FloatListParam("x", {}, ""), &v), "");
  EXPECT_EQ(v, ParamValue(std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(NodeToValue(*t.get("mixed"), FloatListParam("x", {}, ""), &v), "");
  EXPECT_EQ(v, ParamValue(std::vector<double>{1.0, 2.5}));
  EXPECT_EQ(NodeToValue(*t.get("strs"), StringListParam("x", {}, ""), &v), "");
  EXPECT_EQ(v, ParamValue(std::vector<std::string>{"a"}));
  EXPECT_EQ(NodeToValue(*t.get("empty"), StringListParam("x", {}, ""), &v), "");
  EXPECT_EQ(v, ParamValue(std::vector<std::string>{}));
}

TEST(NodeToValueTest, UnsupportedNodesAreTypeErrors) {
  toml::table t = Parse("t = {a = 1}\nbools = [true]\nd = 1979-05-27\n");
  ParamValue v;
  EXPECT_EQ(NodeToValue(*t.get("t"), IntParam("x", 0, ""), &v), "expected integer, got table");
  EXPECT_THAT(NodeToValue(*t.get("bools"), IntListParam("x", {}, ""), &v),
              HasSubstr("expected array of integers, got array"));
  EXPECT_EQ(NodeToValue(*t.get("d"), StringParam("x", "", ""), &v), "expected string, got date");
}

TEST(HasDefaultMarkerTest, ReadsTheValuesLine) {
  SourceLines lines = {{"f.toml", {"a = 1  # default", "b = 2", "c = \"# default\""}}};
  toml::table t = Parse("a = 1  # default\nb = 2\nc = \"# default\"\n");
  EXPECT_TRUE(HasDefaultMarker(*t.get("a"), lines));
  EXPECT_FALSE(HasDefaultMarker(*t.get("b"), lines));
  EXPECT_FALSE(HasDefaultMarker(*t.get("c"), lines));
}

}  // namespace
}  // namespace imitate::engine::config
