#include "engine/distributed/launch_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

// an integer variable in [min, max]; `fallback` when unset or empty
int IntVar(const std::function<const char*(const char*)>& getenv, const char* name, int fallback,
           int min, int max) {
  const char* text = getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < min || value > max) {
    throw ConfigError(fmt::format("environment variable {}='{}' is not an integer in [{}, {}]",
                                  name, text, min, max));
  }
  return static_cast<int>(value);
}

bool IsSet(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* text = getenv(name);
  return text != nullptr && *text != '\0';
}

}  // namespace

LaunchEnv ReadLaunchEnv(const std::function<const char*(const char*)>& getenv_fn) {
  const std::function<const char*(const char*)> getenv =
      getenv_fn ? getenv_fn : [](const char* name) -> const char* { return std::getenv(name); };
  constexpr int kMaxRanks = 1 << 20;
  LaunchEnv env;
  // torchrun (and `imitate run --nproc`) first, then Slurm's task variables
  const bool torchrun = IsSet(getenv, "RANK") || IsSet(getenv, "WORLD_SIZE");
  const bool slurm = !torchrun && IsSet(getenv, "SLURM_PROCID") && IsSet(getenv, "SLURM_NTASKS");
  if (torchrun) {
    env.source = "torchrun";
    env.world_size = IntVar(getenv, "WORLD_SIZE", 1, 1, kMaxRanks);
    env.rank = IntVar(getenv, "RANK", 0, 0, env.world_size - 1);
    env.local_rank = IntVar(getenv, "LOCAL_RANK", env.rank, 0, kMaxRanks);
    env.local_world_size = IntVar(getenv, "LOCAL_WORLD_SIZE", env.world_size, 1, kMaxRanks);
  } else if (slurm) {
    env.source = "slurm";
    env.world_size = IntVar(getenv, "SLURM_NTASKS", 1, 1, kMaxRanks);
    env.rank = IntVar(getenv, "SLURM_PROCID", 0, 0, env.world_size - 1);
    env.local_rank = IntVar(getenv, "SLURM_LOCALID", env.rank, 0, kMaxRanks);
    env.local_world_size = IntVar(getenv, "SLURM_NTASKS_PER_NODE", env.world_size, 1, kMaxRanks);
  }
  if (!env.distributed()) return env;
  // rank 0's address: both are needed to meet
  for (const char* name : {"MASTER_ADDR", "MASTER_PORT"}) {
    if (!IsSet(getenv, name)) {
      throw ConfigError(
          fmt::format("a run of {} processes ({}) needs {} (rank 0's address) in the environment",
                      env.world_size, env.source, name));
    }
  }
  env.master_addr = getenv("MASTER_ADDR");
  env.master_port = IntVar(getenv, "MASTER_PORT", 0, 1, 65535);
  env.local_world_size = std::min(env.local_world_size, env.world_size);
  return env;
}

int ThreadsPerRank(int64_t threads, const LaunchEnv& env) {
  const int64_t total =
      threads > 0 ? threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
  return static_cast<int>(std::max<int64_t>(1, total / std::max(1, env.local_world_size)));
}

std::string RankPrefix(const LaunchEnv& env) {
  return env.distributed() ? fmt::format("[rank {}] ", env.rank) : std::string();
}

}  // namespace imitate::engine
