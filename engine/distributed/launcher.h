// `imitate run FILE --nproc N`: the program started again as N local ranks, with the variables
// torchrun would set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1,
// MASTER_PORT a free port). When one rank fails the others are stopped.
#ifndef IMITATE_ENGINE_DISTRIBUTED_LAUNCHER_H_
#define IMITATE_ENGINE_DISTRIBUTED_LAUNCHER_H_

#include <string>
#include <vector>

namespace imitate::engine {

struct LaunchOptions {
  std::vector<std::string> argv;  // the program (a path) and its arguments, for every rank
  int nproc = 2;
  int master_port = 0;              // 0: a free port
  double stop_grace_seconds = 5.0;  // SIGTERM, then SIGKILL after this long
};

// Starts the ranks and waits for all. Returns 0 when every rank exits 0; otherwise the exit
// code of the first rank that failed (128 + the signal for one killed by a signal), after
// stopping the others. SIGINT/SIGTERM to the launcher are passed on to the ranks. Each rank
// gets SIGKILL if the launcher dies.
int LaunchLocalRanks(const LaunchOptions& options);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeTcpPort();

// The path of the running executable (/proc/self/exe).
std::string SelfExecutable();

// `args` without `--name VALUE` / `--name=VALUE`.
std::vector<std::string> WithoutOption(const std::vector<std::string>& args,
                                       const std::string& name);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DISTRIBUTED_LAUNCHER_H_
