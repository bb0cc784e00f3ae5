#include "engine/report/aggregate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/report/sinks.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

// one evaluation point: the success (0/1) of each of its episodes
struct Point {
  std::string phase;
  int update;
  int env_step;
  std::vector<int> success;
};

// resolved.toml of a run: seed and threads vary, so do comments, blank lines and `# default`
std::string Resolved(const std::string& name, int seed, double lr) {
  return fmt::format(
      "# resolved by imitate\n# git: 0123abc+dirty\n\nname = \"{}\"\nseed = {}\n"
      "device = \"cpu\"\nthreads = {}\n\n[environment]\nkind = \"point_mass\"\n"
      "episode_length = 75{}\n\n[optimizer]\nkind = \"bc\"\nlr = {}\n\n[demos]\nseed = 5\n",
      name, seed, seed + 1, seed % 2 == 1 ? "  # default" : "", lr);
}

class AggregateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("imitate_aggregate_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // a run directory: eval.csv rows with return = 2 * success and wall_time = 10 * row, and a
  // summary.csv when `summary_wall_time` is given (a finished run)
  void WriteRun(const std::string& run, const std::string& resolved,
                const std::vector<Point>& points, double summary_wall_time = -1) {
    fs::path dir = dir_ / run;
    Write(dir / "resolved.toml", resolved);
    std::string eval = "phase,update,env_step,episode,return,length,success,wall_time\n";
    int row = 0;
    for (const Point& point : points) {
      for (size_t episode = 0; episode < point.success.size(); ++episode, ++row) {
        eval += fmt::format("{},{},{},{},{},75,{},{}\n", point.phase, point.update, point.env_step,
                            episode, 2 * point.success[episode], point.success[episode], 10 * row);
      }
    }
    Write(dir / "eval.csv", eval);
    if (summary_wall_time >= 0) {
      Write(dir / "summary.csv",
            fmt::format("episodes,return,success,wall_time\n2,1,0.5,{}\n", summary_wall_time));
    }
  }

  // two configurations: pm-cmil (seeds 0-2 finished, seed 3 unfinished) and pm-bc (3 seeds,
  // identical values), plus set-aside and video folders that must be ignored
  void WriteRuns() {
    std::string cmil = "runs/pm-cmil/";
    WriteRun(cmil + "0", Resolved("pm-cmil", 0, 0.001),
             {{"pretrain", 100, 0, {0, 0}},
              {"pretrain", 200, 0, {1, 0}},
              {"online", 300, 1000, {1, 1}},
              {"online", 400, 2000, {0, 1}}},
             100);
    WriteRun(cmil + "1", Resolved("pm-cmil", 1, 0.001),
             {{"pretrain", 100, 0, {0, 0}},
              {"pretrain", 200, 0, {0, 0}},
              {"online", 300, 1000, {0, 1}},
              {"online", 400, 2000, {1, 1}}},
             101);
    WriteRun(cmil + "2", Resolved("pm-cmil", 2, 0.001),
             {{"pretrain", 100, 0, {1, 0}},
              {"pretrain", 200, 0, {0, 0}},
              {"online", 300, 1000, {0, 0}},
              {"online", 400, 2000, {0, 0}}},
             102);
    WriteRun(cmil + "3", Resolved("pm-cmil", 3, 0.001),
             {{"pretrain", 100, 0, {0, 0}},
              {"pretrain", 200, 0, {1, 1}},
              {"online", 300, 1000, {1, 0}}});
    for (int seed = 0; seed < 3; ++seed) {
      WriteRun(fmt::format("runs/pm-bc/{}", seed), Resolved("pm-bc", seed, 0.01),
               {{"bc", 500, 0, {1, 1, 1, 0}}}, 200);
    }
    WriteRun("runs/pm-cmil/0.interrupted-123", Resolved("ghost", 0, 0.5), {{"bc", 1, 0, {1}}}, 5);
    WriteRun("runs/pm-cmil/videos/x", Resolved("ghost", 0, 0.5), {{"bc", 1, 0, {1}}}, 5);
  }

  ReportOptions Options(const std::string& out = "report") {
    ReportOptions options;
    options.dirs = {(dir_ / "runs").string()};
    options.out = (dir_ / out).string();
    return options;
  }

  fs::path dir_;
};

// report.csv as column -> value per group label
std::map<std::string, std::map<std::string, std::string>> ReadReportCsv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows = ReadCsv(path.string());
  std::map<std::string, std::map<std::string, std::string>> table;
  for (size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), rows[0].size());
    for (size_t c = 0; c < rows[r].size() && c < rows[0].size(); ++c) {
      table[rows[r][0]][rows[0][c]] = rows[r][c];
    }
  }
  return table;
}

TEST_F(AggregateTest, GroupsSeedsAndSkipsSetAsideRuns) {
  WriteRuns();
  ReportResult result = WriteReport(Options());
  EXPECT_EQ(result.runs, 7);
  EXPECT_EQ(result.groups, 2);
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  for (const char* name : {"report.md", "report.csv", "curves_success.dat", "curves_return.dat",
                           "curves_success.png", "curves_return.png"}) {
    EXPECT_TRUE(fs::is_regular_file(dir_ / "report" / name)) << name;
  }
  EXPECT_FALSE(fs::exists(dir_ / "report" / "curves_tasks_completed.dat"));
  EXPECT_EQ(result.files_written.size(), 6u);
}

TEST_F(AggregateTest, CsvHasMeansAndIntervalsAcrossSeeds) {
  WriteRuns();
  WriteReport(Options());
  auto table = ReadReportCsv(dir_ / "report" / "report.csv");
  ASSERT_EQ(table.size(), 2u);
  auto number = [&](const std::string& group, const std::string& column) {
    EXPECT_EQ(table[group].count(column), 1u) << column;
    return std::stod(table[group][column]);
  };

  // pm-cmil: finals {0.5, 1, 0, 0.5}, bests {1, 1, 0.5, 1}
  EXPECT_EQ(table["pm-cmil"]["seeds"], "4");
  EXPECT_EQ(table["pm-cmil"]["finished"], "3");
  EXPECT_DOUBLE_EQ(number("pm-cmil", "success_final_mean"), 0.5);
  EXPECT_DOUBLE_EQ(number("pm-cmil", "success_best_mean"), 0.875);
  EXPECT_DOUBLE_EQ(number("pm-cmil", "return_final_mean"), 1.0);
  for (const auto& [stat, min, max] :
       {std::tuple{"success_final", 0.0, 1.0}, std::tuple{"success_best", 0.5, 1.0}}) {
    double mean = number("pm-cmil", std::string(stat) + "_mean");
    double lo = number("pm-cmil", std::string(stat) + "_lo");
    double hi = number("pm-cmil", std::string(stat) + "_hi");
    EXPECT_LE(min, lo) << stat;
    EXPECT_LE(lo, mean) << stat;
    EXPECT_LT(lo, hi) << stat;
    EXPECT_LE(mean, hi) << stat;
    EXPECT_LE(hi, max) << stat;
  }
  EXPECT_DOUBLE_EQ(number("pm-cmil", "env_steps"), 1750);  // seed 3 stopped at 1000
  EXPECT_DOUBLE_EQ(number("pm-cmil", "wall_time_s"), (100 + 101 + 102 + 50) / 4.0);
  EXPECT_DOUBLE_EQ(number("pm-cmil", "updates"), 400 * 3 / 4.0 + 300 / 4.0);

  // pm-bc: identical seeds give the value exactly
  EXPECT_EQ(table["pm-bc"]["seeds"], "3");
  EXPECT_EQ(table["pm-bc"]["finished"], "3");
  for (const char* column : {"success_final_mean", "success_final_lo", "success_final_hi",
                             "success_best_mean", "success_best_lo", "success_best_hi"}) {
    EXPECT_EQ(table["pm-bc"][column], "0.75") << column;
  }
  EXPECT_EQ(table["pm-bc"]["return_final_lo"], "1.5");
  EXPECT_EQ(table["pm-bc"]["env_steps"], "0");
  EXPECT_EQ(table["pm-bc"]["wall_time_s"], "200");
  EXPECT_EQ(table["pm-bc"].count("tasks_completed_final_mean"), 0u);
}

TEST_F(AggregateTest, MarkdownTable) {
  WriteRuns();
  ReportResult result = WriteReport(Options());
  const std::string& table = result.table_markdown;
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "| configuration | seeds | finished | success final | success best | return final | "
            "return best | env steps | wall time |");
  EXPECT_NE(table.find("| pm-bc | 3 | 3 | 0.75 [0.75, 0.75] | 0.75 [0.75, 0.75] | "
                       "1.50 [1.50, 1.50] | 1.50 [1.50, 1.50] | 0 | 3m20s |\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| pm-cmil | 4 | 3 | 0.50 ["), std::string::npos) << table;
  EXPECT_NE(table.find("| 1750 | 1m28s |\n"), std::string::npos) << table;
  EXPECT_LT(table.find("pm-bc"), table.find("pm-cmil"));  // sorted by label

  std::string md = Read(dir_ / "report" / "report.md");
  EXPECT_NE(md.find(table), std::string::npos);
  EXPECT_NE(md.find("(curves_success.png)"), std::string::npos);
}

TEST_F(AggregateTest, CurveBlocksPerGroup) {
  WriteRuns();
  WriteReport(Options());
  std::string data = Read(dir_ / "report" / "curves_success.dat");
  size_t split = data.find("\n\n\n");
  ASSERT_NE(split, std::string::npos) << data;
  EXPECT_EQ(data.find("\n\n\n", split + 3), std::string::npos) << data;  // two blocks
  // the offline-only group (one point at step 0) is drawn flat to the last step of the others
  EXPECT_EQ(data.substr(0, split + 1), "\"pm-bc\"\n0 0.75 0.75 0.75\n2000 0.75 0.75 0.75\n");

  // pm-cmil: the last point at each env_step, over the seeds that have it
  std::istringstream block(data.substr(split + 3));
  std::string header;
  std::getline(block, header);
  EXPECT_EQ(header, "\"pm-cmil\"");
  std::vector<std::pair<int64_t, double>> expected = {{0, 0.375}, {1000, 0.5}, {2000, 0.5}};
  for (const auto& [step, mean] : expected) {
    int64_t x = -1;
    double m = 0, lo = 0, hi = 0;
    ASSERT_TRUE(block >> x >> m >> lo >> hi);
    EXPECT_EQ(x, step);
    EXPECT_DOUBLE_EQ(m, mean);
    EXPECT_LE(lo, m);
    EXPECT_LE(m, hi);
  }
  std::string rest;
  EXPECT_FALSE(block >> rest) << rest;
}

TEST_F(AggregateTest, PlotsArePngs) {
  WriteRuns();
  ReportResult result = WriteReport(Options());
  ASSERT_TRUE(result.warnings.empty()) << result.warnings.front();
  fs::path png = dir_ / "report" / "curves_success.png";
  ASSERT_TRUE(fs::is_regular_file(png));
  EXPECT_GT(fs::file_size(png), 2048u);
  EXPECT_EQ(Read(png).substr(0, 4), "\x89PNG");
  EXPECT_FALSE(fs::exists(dir_ / "report" / "curves_success.png.log"));
}

TEST_F(AggregateTest, SameSeedSameReport) {
  WriteRuns();
  WriteReport(Options("a"));
  WriteReport(Options("b"));
  EXPECT_EQ(Read(dir_ / "a" / "report.csv"), Read(dir_ / "b" / "report.csv"));
  EXPECT_EQ(Read(dir_ / "a" / "curves_success.dat"), Read(dir_ / "b" / "curves_success.dat"));
}

TEST_F(AggregateTest, BootstrapMean) {
  std::vector<double> values = {0.1, 0.5, 0.9, 1.7, 2.3};
  Interval a = BootstrapMean(values, 1000, 1);
  EXPECT_DOUBLE_EQ(a.mean, 1.1);
  EXPECT_LE(0.1, a.lo);
  EXPECT_LT(a.lo, a.mean);
  EXPECT_LT(a.mean, a.hi);
  EXPECT_LE(a.hi, 2.3);
  Interval again = BootstrapMean(values, 1000, 1);
  EXPECT_EQ(a.lo, again.lo);
  EXPECT_EQ(a.hi, again.hi);
  Interval other = BootstrapMean(values, 1000, 2);
  EXPECT_TRUE(other.lo != a.lo || other.hi != a.hi);

  // one value, equal values: exactly the value; none: NaN
  Interval one = BootstrapMean({0.3}, 1000, 0);
  EXPECT_EQ(one.mean, 0.3);
  EXPECT_EQ(one.lo, 0.3);
  EXPECT_EQ(one.hi, 0.3);
  Interval same = BootstrapMean({0.1, 0.1, 0.1}, 1000, 0);
  EXPECT_EQ(same.mean, 0.1);
  EXPECT_EQ(same.lo, 0.1);
  EXPECT_EQ(same.hi, 0.1);
  EXPECT_TRUE(std::isnan(BootstrapMean({}, 1000, 0).mean));
}

TEST_F(AggregateTest, SameNameDifferentConfigurations) {
  WriteRun("runs/x/0", Resolved("x", 0, 0.1), {{"bc", 1, 0, {1}}}, 1);
  WriteRun("runs/x/1", Resolved("x", 1, 0.1), {{"bc", 1, 0, {0}}}, 1);
  WriteRun("runs/x-lr/0", Resolved("x", 0, 0.2), {{"bc", 1, 0, {1}}}, 1);
  ReportOptions options = Options();
  options.plots = false;
  ReportResult result = WriteReport(options);
  EXPECT_EQ(result.groups, 2);
  auto table = ReadReportCsv(dir_ / "report" / "report.csv");
  EXPECT_EQ(table["x"]["seeds"], "1");  // runs/x-lr/0 sorts first
  EXPECT_EQ(table["x (2)"]["seeds"], "2");
  EXPECT_FALSE(fs::exists(dir_ / "report" / "curves_success.png"));
}

TEST_F(AggregateTest, RequestedMetrics) {
  WriteRuns();
  ReportOptions options = Options();
  options.plots = false;
  options.metrics = {"length"};
  WriteReport(options);
  auto table = ReadReportCsv(dir_ / "report" / "report.csv");
  EXPECT_EQ(table["pm-bc"]["length_final_mean"], "75");
  EXPECT_EQ(table["pm-bc"].count("success_final_mean"), 0u);

  options.metrics = {"success", "tasks_completed"};
  try {
    WriteReport(options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("eval.csv: no column 'tasks_completed'"),
              std::string::npos)
        << e.what();
  }
}

// NAME:min: the best evaluation of a run is its lowest (e.g. a distance or a drop rate).
TEST_F(AggregateTest, LowerIsBetterMetric) {
  WriteRuns();
  ReportOptions options = Options();
  options.plots = false;
  options.metrics = {"success:min", "return:max"};
  ReportResult result = WriteReport(options);
  auto table = ReadReportCsv(dir_ / "report" / "report.csv");
  // pm-cmil: every seed has an evaluation with success 0; the finals are unchanged
  EXPECT_EQ(table["pm-cmil"]["success_best_mean"], "0");
  EXPECT_DOUBLE_EQ(std::stod(table["pm-cmil"]["success_final_mean"]), 0.5);
  EXPECT_DOUBLE_EQ(std::stod(table["pm-cmil"]["return_best_mean"]), 2 * 0.875);
  EXPECT_NE(result.table_markdown.find("| success final | success best (min) | return final | "
                                       "return best |"),
            std::string::npos)
      << result.table_markdown;

  options.metrics = {"success:lowest"};
  try {
    WriteReport(options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--metric success:lowest: expected NAME, NAME:max or "
                                         "NAME:min"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(AggregateTest, MissingGnuplotIsAWarning) {
  WriteRuns();
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (dir_ / "no-bin").c_str(), 1);
  ReportResult result;
  EXPECT_NO_THROW(result = WriteReport(Options()));
  setenv("PATH", path.c_str(), 1);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("plots skipped: gnuplot is not installed"), std::string::npos)
      << result.warnings[0];
  EXPECT_TRUE(fs::is_regular_file(dir_ / "report" / "curves_success.dat"));
  EXPECT_FALSE(fs::exists(dir_ / "report" / "curves_success.png"));
}

TEST_F(AggregateTest, ScriptFromEnvironment) {
  WriteRuns();
  // a missing script, then one gnuplot rejects: warnings, not errors
  setenv("IMITATE_GNUPLOT_SCRIPT", (dir_ / "missing.gnuplot").c_str(), 1);
  ReportResult missing = WriteReport(Options());
  Write(dir_ / "broken.gnuplot", "plot no_such_variable\n");
  setenv("IMITATE_GNUPLOT_SCRIPT", (dir_ / "broken.gnuplot").c_str(), 1);
  ReportResult broken = WriteReport(Options());
  unsetenv("IMITATE_GNUPLOT_SCRIPT");
  ASSERT_EQ(missing.warnings.size(), 1u);
  EXPECT_NE(missing.warnings[0].find("missing.gnuplot"), std::string::npos);
  ASSERT_EQ(broken.warnings.size(), 1u);
  EXPECT_NE(broken.warnings[0].find("gnuplot failed"), std::string::npos) << broken.warnings[0];
  EXPECT_NE(broken.warnings[0].find("no_such_variable"), std::string::npos) << broken.warnings[0];
  EXPECT_EQ(broken.warnings[0].find('\n'), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "report" / "report.md"));
}

TEST_F(AggregateTest, Errors) {
  // no run directory: the message names the folder
  fs::create_directories(dir_ / "empty" / "sub");
  ReportOptions options = Options();
  options.dirs = {(dir_ / "empty").string()};
  try {
    WriteReport(options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no run directory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find((dir_ / "empty").string()), std::string::npos);
  }

  // a folder that does not exist
  options.dirs = {(dir_ / "nowhere").string()};
  try {
    WriteReport(options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "nowhere").string() + ": no such folder");
  }

  // only set-aside runs
  WriteRun("old/0.interrupted-7", Resolved("x", 0, 0.1), {{"bc", 1, 0, {1}}}, 1);
  options.dirs = {(dir_ / "old").string()};
  EXPECT_THROW(WriteReport(options), ConfigError);
}

}  // namespace
}  // namespace imitate::engine
