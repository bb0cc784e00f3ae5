#include "engine/report/sinks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/report/console.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

class SinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("imitate_sinks_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
};

TEST_F(SinksTest, CsvHeaderIsFixedByFirstRow) {
  {
    CsvSink csv((dir_ / "a.csv").string());
    csv.Write({{"step", int64_t{1}}, {"loss", 0.5}});
    csv.Write({{"loss", 0.25}, {"step", int64_t{2}}, {"extra", 3.0}});  // reordered, extra key
    csv.Write({{"step", int64_t{3}}});                                  // missing key
  }
  EXPECT_EQ(Read("a.csv"), "step,loss\n1,0.5\n2,0.25\n3,\n");
}

TEST_F(SinksTest, CsvAppendsUnderExistingHeader) {
  std::string path = (dir_ / "b.csv").string();
  { CsvSink(path).Write({{"x", int64_t{1}}, {"y", int64_t{2}}}); }
  {
    CsvSink again(path);
    EXPECT_EQ(again.columns(), (std::vector<std::string>{"x", "y"}));
    again.Write({{"y", int64_t{4}}, {"x", int64_t{3}}});
  }
  EXPECT_EQ(Read("b.csv"), "x,y\n1,2\n3,4\n");
  auto rows = ReadCsv(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2], (std::vector<std::string>{"3", "4"}));
}

TEST_F(SinksTest, CsvQuotesTextWithCommasAndReadsItBack) {
  std::string path = (dir_ / "c.csv").string();
  { CsvSink(path).Write({{"name", std::string("a,\"b\"")}, {"v", 1.5}}); }
  auto rows = ReadCsv(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], "a,\"b\"");
  EXPECT_EQ(rows[1][1], "1.5");
}

TEST_F(SinksTest, JsonlWritesOneObjectPerLineWithNullForNan) {
  {
    JsonlSink jsonl((dir_ / "m.jsonl").string());
    jsonl.Write({{"type", std::string("eval")}, {"success", 1.0}, {"x", std::nan("")}});
    jsonl.Write({{"step", int64_t{7}}, {"quote", std::string("a\"b")}});
  }
  EXPECT_EQ(Read("m.jsonl"),
            "{\"type\": \"eval\", \"success\": 1, \"x\": null}\n"
            "{\"step\": 7, \"quote\": \"a\\\"b\"}\n");
}

TEST_F(SinksTest, UnwritablePathIsADataError) {
  EXPECT_THROW(CsvSink((dir_ / "missing" / "x.csv").string()), imitate::DataError);
}

TEST(FormatDurationTest, Units) {
  EXPECT_EQ(FormatDuration(12.2), "12s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatDuration(-1), "?");
}

}  // namespace
}  // namespace imitate::engine
