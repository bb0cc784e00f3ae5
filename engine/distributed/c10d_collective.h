// The engine's Collective: LibTorch's c10d. Rendezvous through a TCPStore (rank 0 serves it at
// MASTER_ADDR:MASTER_PORT), then a ProcessGroupGloo (CPU tensors; CUDA ones are staged through
// it too) or, in builds with NCCL, a ProcessGroupNCCL for CUDA runs.
#ifndef IMITATE_ENGINE_DISTRIBUTED_C10D_COLLECTIVE_H_
#define IMITATE_ENGINE_DISTRIBUTED_C10D_COLLECTIVE_H_

#include <chrono>
#include <memory>
#include <string>

#include "engine/distributed/launch_env.h"
#include "imitate/sdk/distributed.h"

namespace imitate::engine {

struct ConnectOptions {
  // how long the rendezvous and each collective may wait for the other ranks before failing
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  std::string backend = "gloo";  // "gloo", or "nccl" in builds with NCCL
};

// Joins the run's ranks (blocks until all `env.world_size` have joined, or the timeout).
// Throws imitate::Error when the rendezvous fails or the backend is not built in.
std::unique_ptr<Collective> ConnectRanks(const LaunchEnv& env, const ConnectOptions& options);

// The timeout of the process group: IMITATE_DIST_TIMEOUT (seconds) when set, else 10 minutes.
std::chrono::milliseconds DistributedTimeout();

// Whether this build can make a ProcessGroupNCCL.
bool HaveNccl();

// Sets the process's collective (imitate::SetCollective) for the lifetime of this object.
class ScopedCollective {
 public:
  explicit ScopedCollective(std::unique_ptr<Collective> collective);
  ~ScopedCollective();
  ScopedCollective(const ScopedCollective&) = delete;
  ScopedCollective& operator=(const ScopedCollective&) = delete;

  Collective* get() const { return collective_.get(); }

 private:
  std::unique_ptr<Collective> collective_;
};

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DISTRIBUTED_C10D_COLLECTIVE_H_
