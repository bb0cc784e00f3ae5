// Extension point: an expert that produces demonstrations (used by `imitate demos` only).
#ifndef IMITATE_SDK_EXPERT_H_
#define IMITATE_SDK_EXPERT_H_

#include <torch/types.h>

#include <cstdint>
#include <string>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/plugin.h"

namespace imitate {

// A controller that may read privileged state (GetState, or the simulator itself through a
// derived interface such as MujocoEnvironment) and acts in the environment's action convention.
class IMITATE_EXPORT Expert : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kExpert;
  ~Expert() override;

  // Environment kinds this expert can drive ("point_mass"); `imitate demos` checks it. "*"
  // means any environment: the expert checks what it needs (e.g. PlanningEnvironment) in Reset.
  virtual std::vector<std::string> SupportedEnvironments() const = 0;

  // Starts a demonstration: `env` was just reset and returned `first`; `seed` drives the
  // expert's own randomness (offsets, speeds, pauses) so that demos differ.
  virtual void Reset(Environment& env, const TimeStep& first, uint64_t seed) = 0;

  // The action for the current step (float32 [A]).
  virtual torch::Tensor Act(Environment& env, const TimeStep& current) = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_EXPERT_H_
