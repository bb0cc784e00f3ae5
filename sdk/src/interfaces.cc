// Key functions of the SDK interfaces: their vtables and typeinfo live in libimitate_sdk.
#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/planning.h"
#include "imitate/sdk/plugin.h"
#include "imitate/sdk/reward_learner.h"

namespace imitate {

Plugin::~Plugin() = default;
Environment::~Environment() = default;
PlanningEnvironment::~PlanningEnvironment() = default;
Expert::~Expert() = default;
Encoder::~Encoder() = default;

TensorMap Encoder::Targets(const TensorMap& observation) {
  TensorMap targets;
  for (const std::string& key : Keys()) {
    auto it = observation.find(key);
    if (it == observation.end()) {
      throw DataError("encoder: Targets got no observation '" + key + "'");
    }
    targets.emplace(key, it->second.to(torch::kFloat32));
  }
  return targets;
}

void Encoder::SetDataStatistics(const TensorMap& /*mean*/, const TensorMap& /*std*/) {}
Dynamics::~Dynamics() = default;
EnsembleDynamics::~EnsembleDynamics() = default;
RewardLearner::~RewardLearner() = default;
Optimizer::~Optimizer() = default;

const char* PluginKindName(PluginKind kind) {
  switch (kind) {
    case PluginKind::kEnvironment:
      return "environment";
    case PluginKind::kExpert:
      return "expert";
    case PluginKind::kEncoder:
      return "encoder";
    case PluginKind::kDynamics:
      return "dynamics";
    case PluginKind::kRewardLearner:
      return "reward_learner";
    case PluginKind::kOptimizer:
      return "optimizer";
  }
  return "unknown";
}

// detach every defined tensor
LatentState LatentState::Detach() const {
  auto d = [](const torch::Tensor& t) { return t.defined() ? t.detach() : t; };
  return {d(deter), d(stoch), d(mean), d(std), d(uncertainty)};
}

}  // namespace imitate
