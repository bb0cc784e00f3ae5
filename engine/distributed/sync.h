// Sharing state between the ranks of a run through the process's Collective: rank 0's bytes
// (a serialised checkpoint), a decision, and the check that every rank holds the same state.
#ifndef IMITATE_ENGINE_DISTRIBUTED_SYNC_H_
#define IMITATE_ENGINE_DISTRIBUTED_SYNC_H_

#include <cstdint>
#include <string>

#include "imitate/sdk/distributed.h"

namespace imitate::engine {

// Rank `root`'s `bytes` on every rank: the length first, then the bytes as one uint8 tensor.
void BroadcastBytes(Collective& collective, std::string* bytes, int root = 0);

// Rank `root`'s `value` on every rank.
int64_t BroadcastInt(Collective& collective, int64_t value, int root = 0);

// Whether every rank passed the same `value` as rank 0; every rank gets the same answer.
bool SameOnAllRanks(Collective& collective, uint64_t value);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DISTRIBUTED_SYNC_H_
