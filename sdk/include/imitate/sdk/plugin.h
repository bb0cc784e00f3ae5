// The common base of every plugin object, and the extension points' kinds.
#ifndef IMITATE_SDK_PLUGIN_H_
#define IMITATE_SDK_PLUGIN_H_

#include <string>

#include "imitate/sdk/abi.h"

namespace imitate {

// The extension points. The TOML table a plugin is configured in follows from its kind:
// [environment], [encoder], [dynamics], [reward], [optimizer]; experts are named by
// `imitate demos --expert`.
enum class PluginKind { kEnvironment, kExpert, kEncoder, kDynamics, kRewardLearner, kOptimizer };

// "environment", "expert", "encoder", "dynamics", "reward_learner", "optimizer".
IMITATE_EXPORT const char* PluginKindName(PluginKind kind);

// Base of all plugin interfaces; objects are destroyed through it by the library that made them.
class IMITATE_EXPORT Plugin {
 public:
  virtual ~Plugin();
};

}  // namespace imitate

#endif  // IMITATE_SDK_PLUGIN_H_
