// Checkpoints: the agent's weights and optimiser states plus the run's counters, written
// atomically (temporary file, then rename) so that a crash never leaves a torn checkpoint.
#ifndef IMITATE_ENGINE_CHECKPOINT_CHECKPOINT_H_
#define IMITATE_ENGINE_CHECKPOINT_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "engine/run/agent.h"

namespace imitate::engine {

// Where a run stands.
struct Counters {
  int64_t updates = 0;    // gradient updates over all phases
  int64_t env_steps = 0;  // online environment steps (seeding included)
  int64_t episodes = 0;   // online episodes finished
};

// Saves the agent and counters to `path` (atomically).
void SaveCheckpoint(const std::string& path, Agent& agent, const Counters& counters);

// Loads a checkpoint written by SaveCheckpoint into an agent built with the same experiment.
// Throws DataError naming the file when it is missing, corrupt or does not fit the agent.
Counters LoadCheckpoint(const std::string& path, Agent& agent);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_CHECKPOINT_CHECKPOINT_H_
