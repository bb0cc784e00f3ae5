// Batch files: parsing, expansion into runs, the run arguments, batch.toml and Slurm scripts.
#include "engine/batch/batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <sstream>
#include <string>
#include <vector>

#include "engine/batch/pool.h"
#include "imitate/sdk/errors.h"
#include "tests/engine/config/config_test_util.h"

namespace imitate::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;

// a batch folder with an experiment file next to it
class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("exp/a.toml", "name = \"a\"\n");
    dir_.Write("exp/b.toml", "name = \"b\"\n");
  }
  Batch Load(const std::string& text) { return LoadBatch(dir_.Write("ablations/x.toml", text)); }
  // the ConfigError message of loading and expanding `text`
  std::string Error(const std::string& text) {
    try {
      ExpandBatch(Load(text));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  TempDir dir_;
};

TEST_F(BatchTest, GridIsTheCartesianProductTimesSeeds) {
  Batch batch = Load(R"(
base = "../exp/a.toml"
seeds = [0, 1]
presets = ["small"]
set = ["schedule.eval_episodes=3"]
[grid]
optimizer.uncertainty_penalty = [0.0, 10.0]
"optimizer.bc_weight" = [1, 5, 10]
)");
  EXPECT_EQ(batch.name, "x");
  std::vector<BatchRun> runs = ExpandBatch(batch);
  ASSERT_EQ(runs.size(), 2u * 3u * 2u);
  // the last axis varies fastest, seeds innermost
  EXPECT_EQ(runs[0].name, "uncertainty_penalty=0.0,bc_weight=1");
  EXPECT_EQ(runs[0].seed, 0);
  EXPECT_EQ(runs[1].name, runs[0].name);
  EXPECT_EQ(runs[1].seed, 1);
  EXPECT_EQ(runs[2].name, "uncertainty_penalty=0.0,bc_weight=5");
  EXPECT_EQ(runs[11].name, "uncertainty_penalty=10.0,bc_weight=10");
  EXPECT_THAT(runs[11].overrides,
              ElementsAre("schedule.eval_episodes=3", "optimizer.uncertainty_penalty=10.0",
                          "optimizer.bc_weight=10"));
  EXPECT_THAT(runs[11].presets, ElementsAre("small"));
  EXPECT_THAT(runs[0].experiment, HasSubstr("exp/a.toml"));
}

TEST_F(BatchTest, ZipGroupsVaryTogetherAndListsLabelCompactly) {
  std::vector<BatchRun> runs = ExpandBatch(Load(R"(
base = "../exp/a.toml"
[[zip]]
dynamics.members = [2, 10]
optimizer.actor_hidden = [[64, 64], [400, 400]]
optimizer.actor_dist = ["tanh_normal", "trunc_normal"]
)"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "members=2,actor_hidden=64x64,actor_dist=tanh_normal");
  EXPECT_THAT(runs[1].overrides,
              ElementsAre("dynamics.members=10", "optimizer.actor_hidden=[ 400, 400 ]",
                          "optimizer.actor_dist='trunc_normal'"));
}

TEST_F(BatchTest, SeveralBaseExperimentsAreAnAxis) {
  std::vector<BatchRun> runs = ExpandBatch(Load(R"(
base = ["../exp/a.toml", "../exp/b.toml"]
seeds = [3]
)"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "a");
  EXPECT_THAT(runs[0].experiment, HasSubstr("a.toml"));
  EXPECT_EQ(runs[1].name, "b");
  EXPECT_THAT(runs[1].experiment, HasSubstr("b.toml"));
  EXPECT_EQ(runs[1].seed, 3);
}

TEST_F(BatchTest, NothingVaryingIsOnePointNamedBase) {
  std::vector<BatchRun> runs = ExpandBatch(Load("base = \"../exp/a.toml\"\nname = \"my batch\"\n"));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "base");
  EXPECT_EQ(runs[0].seed, 0);
}

TEST_F(BatchTest, BadFilesAreOneLineErrorsNamingTheKey) {
  EXPECT_THAT(Error("seeds = [0]\n"), HasSubstr("base: missing"));
  EXPECT_THAT(Error("base = \"../exp/nope.toml\"\n"), HasSubstr("no such file"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\nseed = [0]\n"), HasSubstr("seed: unknown key"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\nseeds = []\n"),
              HasSubstr("seeds: expected a non-empty list"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\nseeds = [0.5]\n"),
              HasSubstr("seeds: expected integers"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\n[grid]\noptimizer.horizon = 5\n"),
              HasSubstr("optimizer.horizon: expected a non-empty list of values, got integer 5"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\n[[zip]]\na.x = [1, 2]\na.y = [1]\n"),
              HasSubstr("equal lengths"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\n[slurm]\ngpu = 1\n"),
              HasSubstr("slurm.gpu: unknown key"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\n[grid]\no.x = [1, 1]\n"), HasSubstr("same name"));
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\nretries = -1\n"), HasSubstr("retries"));
  // the position of the bad value
  EXPECT_THAT(Error("base = \"../exp/a.toml\"\nseeds = [0, \"1\"]\n"), HasSubstr("x.toml:2:"));
  // one line
  EXPECT_EQ(Error("seeds = [0]\n").find('\n'), std::string::npos);
}

TEST_F(BatchTest, RunArgumentsNameTheRunSeedThreadsAndFolder) {
  BatchRun run;
  run.name = "uncertainty_penalty=0";
  run.seed = 2;
  run.experiment = "exp/a.toml";
  run.presets = {"small"};
  run.overrides = {"optimizer.uncertainty_penalty=0"};
  EXPECT_THAT(
      RunArguments(run, "runs/x", 1),
      ElementsAre("run", "exp/a.toml", "--preset", "small", "--set",
                  "optimizer.uncertainty_penalty=0", "--set", "name=\"uncertainty_penalty=0\"",
                  "--set", "seed=2", "--set", "threads=1", "--runs-dir", "runs/x"));
  EXPECT_EQ(RunLogPath("runs/x", run), "runs/x/logs/uncertainty_penalty=0.seed2.log");
}

TEST_F(BatchTest, ExpansionTomlListsEveryRun) {
  Batch batch = Load("base = \"../exp/a.toml\"\nseeds = [0, 1]\n[grid]\no.x = [1, 2]\n");
  std::vector<BatchRun> runs = ExpandBatch(batch);
  toml::table parsed = toml::parse(ExpansionToml(batch, runs));
  EXPECT_EQ(parsed["batch"].value_or(std::string()), "x");
  const toml::array* list = parsed["run"].as_array();
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[3].as_table()->get("name")->value_or(std::string()), "x=2");
  EXPECT_EQ((*list)[3].as_table()->get("seed")->value_or(int64_t{-1}), 1);
}

TEST_F(BatchTest, SlurmScriptHasOneArrayTaskPerRunAndTheResources) {
  Batch batch = Load(R"(
base = "../exp/a.toml"
seeds = [0, 1, 2]
[grid]
optimizer.uncertainty_penalty = [0, 10]
[slurm]
partition = "gpu"
time = "12:00:00"
cpus_per_task = 8
mem = "32G"
gpus = 1
max_parallel = 4
setup = ["module load cuda"]
)");
  std::vector<BatchRun> runs = ExpandBatch(batch);
  std::string script = SlurmScript(batch, runs, "/opt/imitate/bin/imitate", "runs/x");
  EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_THAT(script, HasSubstr("#SBATCH --array=0-5%4\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --partition=gpu\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --time=12:00:00\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --cpus-per-task=8\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --mem=32G\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --gres=gpu:1\n"));
  EXPECT_THAT(script, HasSubstr("module load cuda\n"));
  EXPECT_THAT(script, HasSubstr("IMITATE=${IMITATE:-'/opt/imitate/bin/imitate'}"));
  // every array index runs its own point and seed, with the task's cores as threads
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string head =
        std::to_string(i) + ")  # " + runs[i].name + " seed " + std::to_string(runs[i].seed) + "\n";
    size_t at = script.find(head);
    ASSERT_NE(at, std::string::npos) << head;
    std::string line =
        script.substr(at + head.size(), script.find('\n', at + head.size()) - at - head.size());
    EXPECT_THAT(line, HasSubstr("'seed=" + std::to_string(runs[i].seed) + "'"));
    EXPECT_THAT(line, HasSubstr("'name=\"" + runs[i].name + "\"'"));
    EXPECT_THAT(line, HasSubstr("--set \"threads=$THREADS\""));
    EXPECT_THAT(line, HasSubstr("'--runs-dir' 'runs/x'"));
  }
  EXPECT_EQ(script.find("6)  #"), std::string::npos);
}

}  // namespace
}  // namespace imitate::engine
