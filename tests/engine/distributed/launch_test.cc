// The launch variables (torchrun's, Slurm's, none), the threads per rank, and the local
// launcher: every rank gets its variables, and one failing rank stops the others.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "engine/distributed/launch_env.h"
#include "engine/distributed/launcher.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

using ::testing::HasSubstr;

// ReadLaunchEnv over a map instead of the process's environment
LaunchEnv Read(const std::map<std::string, std::string>& vars) {
  return ReadLaunchEnv([&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(LaunchEnvTest, NoVariablesIsOneProcess) {
  LaunchEnv env = Read({});
  EXPECT_FALSE(env.distributed());
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.world_size, 1);
  EXPECT_EQ(env.source, "none");
  EXPECT_EQ(RankPrefix(env), "");
}

TEST(LaunchEnvTest, ReadsTorchrunVariables) {
  LaunchEnv env = Read({{"RANK", "3"},
                        {"WORLD_SIZE", "4"},
                        {"LOCAL_RANK", "1"},
                        {"LOCAL_WORLD_SIZE", "2"},
                        {"MASTER_ADDR", "node7"},
                        {"MASTER_PORT", "29501"}});
  EXPECT_TRUE(env.distributed());
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
  EXPECT_EQ(env.master_addr, "node7");
  EXPECT_EQ(env.master_port, 29501);
  EXPECT_EQ(env.source, "torchrun");
  EXPECT_EQ(RankPrefix(env), "[rank 3] ");
}

TEST(LaunchEnvTest, MapsSlurmVariablesWhenRankIsAbsent) {
  LaunchEnv env = Read({{"SLURM_PROCID", "1"},
                        {"SLURM_NTASKS", "2"},
                        {"SLURM_LOCALID", "1"},
                        {"MASTER_ADDR", "10.0.0.1"},
                        {"MASTER_PORT", "12345"}});
  EXPECT_EQ(env.source, "slurm");
  EXPECT_EQ(env.rank, 1);
  EXPECT_EQ(env.world_size, 2);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);  // no SLURM_NTASKS_PER_NODE: all on this node
  // a single Slurm task is one process, and needs no address
  EXPECT_FALSE(Read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).distributed());
}

TEST(LaunchEnvTest, RejectsBadOrMissingVariables) {
  auto message = [](const std::map<std::string, std::string>& vars) {
    try {
      Read(vars);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), HasSubstr("RANK='2'"));
  EXPECT_THAT(message({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), HasSubstr("RANK"));
  EXPECT_THAT(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}}), HasSubstr("MASTER_ADDR"));
  EXPECT_THAT(message({{"RANK", "0"},
                       {"WORLD_SIZE", "2"},
                       {"MASTER_ADDR", "127.0.0.1"},
                       {"MASTER_PORT", "99999"}}),
              HasSubstr("MASTER_PORT"));
}

TEST(LaunchEnvTest, RanksOfOneMachineShareTheThreads) {
  LaunchEnv env;
  env.world_size = 4;
  env.local_world_size = 2;
  EXPECT_EQ(ThreadsPerRank(8, env), 4);
  EXPECT_EQ(ThreadsPerRank(1, env), 1);  // at least one
  EXPECT_GE(ThreadsPerRank(0, env), 1);  // 0: every core
}

TEST(LauncherTest, DropsAnOptionAndItsValue) {
  EXPECT_EQ(WithoutOption({"imitate", "run", "--nproc", "2", "x.toml", "--nproc=3", "--quiet"},
                          "--nproc"),
            (std::vector<std::string>{"imitate", "run", "x.toml", "--quiet"}));
}

TEST(LauncherTest, EveryRankGetsItsVariables) {
  LaunchOptions options;
  options.nproc = 3;
  options.argv = {"/bin/sh", "-c",
                  "test \"$WORLD_SIZE\" = 3 && test \"$LOCAL_WORLD_SIZE\" = 3 && "
                  "test \"$LOCAL_RANK\" = \"$RANK\" && test \"$MASTER_ADDR\" = 127.0.0.1 && "
                  "test \"$MASTER_PORT\" -gt 0 && test \"$RANK\" -lt 3"};
  EXPECT_EQ(LaunchLocalRanks(options), 0);
}

TEST(LauncherTest, OneFailingRankStopsTheOthers) {
  // rank 1 fails at once; rank 0 would sleep for a minute
  LaunchOptions options;
  options.nproc = 2;
  options.argv = {"/bin/sh", "-c", "if [ \"$RANK\" = 1 ]; then exit 3; fi; exec sleep 60"};
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(LaunchLocalRanks(options), 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(LauncherTest, ARankKilledByASignalFailsTheLaunch) {
  LaunchOptions options;
  options.nproc = 2;
  options.stop_grace_seconds = 0.5;
  // rank 0 dies of SIGKILL; rank 1 ignores SIGTERM and must be killed after the grace time
  options.argv = {"/bin/sh", "-c",
                  "if [ \"$RANK\" = 0 ]; then kill -9 $$; fi; trap '' TERM; exec sleep 60"};
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(LaunchLocalRanks(options), 128 + 9);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace imitate::engine
