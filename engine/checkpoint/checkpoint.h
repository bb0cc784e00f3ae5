// Checkpoints: the agent's weights and optimiser states, the run's counters and the engine's
// own resume state (random-number states, log positions, ...). Written atomically (temporary
// file, then rename) with a CRC-32 trailer, so that a crash never leaves a torn checkpoint and
// a corrupt one is detected when it is read.
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

// What a checkpoint holds besides the agent.
struct CheckpointState {
  Counters counters;
  std::string engine;  // the runner's resume state, opaque here
};

// Saves the agent and state to `path`: written beside it, then renamed over it. With
// `keep_previous`, an existing `path` is first renamed to `path.previous`.
void SaveCheckpoint(const std::string& path, Agent& agent, const CheckpointState& state,
                    bool keep_previous = false);

// Loads a checkpoint written by SaveCheckpoint into an agent built with the same experiment.
// Throws DataError naming the file when it is missing, fails its checksum (truncated or
// corrupt), or does not fit the agent.
CheckpointState LoadCheckpoint(const std::string& path, Agent& agent);

// The archive bytes SaveCheckpoint writes (without the file's trailer): how rank 0 hands its
// state to the other ranks of a multi-process run.
std::string CheckpointBytes(Agent& agent, const CheckpointState& state);

// Loads bytes from CheckpointBytes into an agent built with the same experiment. Throws
// DataError naming `source` when they do not fit the agent.
CheckpointState LoadCheckpointBytes(const std::string& bytes, Agent& agent,
                                    const std::string& source);

// A checksum of the agent's state: every weight and optimiser state the checkpoint holds, leaving
// out random-number generator states (archive keys named "generator"). Ranks of a
// data-parallel run hold the same state when their checksums agree.
uint64_t AgentStateChecksum(Agent& agent);

// `path.previous`: the checkpoint before `path`.
std::string PreviousCheckpoint(const std::string& path);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_CHECKPOINT_CHECKPOINT_H_
