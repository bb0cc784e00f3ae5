// Where this process stands in a multi-process run, from the launcher's environment variables:
// torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), or
// Slurm's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE) where RANK is
// absent. No variables: one process.
#ifndef IMITATE_ENGINE_DISTRIBUTED_LAUNCH_ENV_H_
#define IMITATE_ENGINE_DISTRIBUTED_LAUNCH_ENV_H_

#include <cstdint>
#include <functional>
#include <string>

namespace imitate::engine {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;                     // rank among the processes of this machine
  int local_world_size = 1;               // processes of the run on this machine
  std::string master_addr = "127.0.0.1";  // rank 0's host: its TCPStore listens there
  int master_port = 29500;
  std::string source = "none";  // "torchrun" (RANK/WORLD_SIZE), "slurm" or "none"

  bool distributed() const { return world_size > 1; }
};

// Reads the variables through `getenv` (std::getenv by default). Throws ConfigError naming the
// variable when one is not a number or out of range, or when MASTER_ADDR/MASTER_PORT are
// missing for a run of several processes.
LaunchEnv ReadLaunchEnv(const std::function<const char*(const char*)>& getenv = nullptr);

// The torch threads of one rank: `threads` of the experiment (0: every core) shared by the
// ranks of this machine, at least 1.
int ThreadsPerRank(int64_t threads, const LaunchEnv& env);

// "[rank N] " for ranks of a multi-process run, "" otherwise: the prefix of their stderr lines.
std::string RankPrefix(const LaunchEnv& env);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DISTRIBUTED_LAUNCH_ENV_H_
