// The process-wide collective: defined in the shared SDK library, so the engine and every
// plugin see the same one.
#include "imitate/sdk/distributed.h"

#include <atomic>

namespace imitate {
namespace {
std::atomic<Collective*> g_collective{nullptr};
}  // namespace

Collective::~Collective() = default;

void SetCollective(Collective* collective) { g_collective.store(collective); }

Collective* GetCollective() { return g_collective.load(); }

}  // namespace imitate
