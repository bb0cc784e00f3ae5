// Data-parallel training across processes: the collective operations the engine provides when a
// run has several ranks, and the process-wide handle plugins reach them through. The engine
// implements them (with LibTorch's c10d); plugins call them, e.g. to average gradients before an
// optimiser step. A single-process run has none: GetCollective() returns null.
#ifndef IMITATE_SDK_DISTRIBUTED_H_
#define IMITATE_SDK_DISTRIBUTED_H_

#include <torch/types.h>

#include <vector>

#include "imitate/sdk/abi.h"

namespace imitate {

// The ranks of one run. Every rank must make the same calls in the same order with tensors of
// the same shapes and dtypes; a call blocks until all ranks have made it. Failures (a rank that
// died, a timeout) throw.
class IMITATE_EXPORT Collective {
 public:
  virtual ~Collective();

  // This process's rank in [0, world_size()).
  virtual int rank() const = 0;

  // The number of ranks (processes) of the run.
  virtual int world_size() const = 0;

  // Replaces each tensor, in place, by its mean over the ranks (one reduction per tensor).
  virtual void AllReduceMean(std::vector<torch::Tensor>& tensors) = 0;

  // Replaces each tensor, in place, by rank `root`'s tensor of the same position.
  virtual void Broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
};

// Sets the process's collective (null: single process). The engine calls it once, before it
// builds any plugin, and clears it when the run ends; the object must outlive its use.
IMITATE_EXPORT void SetCollective(Collective* collective);

// The process's collective, or null when the run is a single process.
IMITATE_EXPORT Collective* GetCollective();

}  // namespace imitate

#endif  // IMITATE_SDK_DISTRIBUTED_H_
