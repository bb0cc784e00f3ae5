// Extension point: an environment (simulated task) the agent acts in.
#ifndef IMITATE_SDK_ENVIRONMENT_H_
#define IMITATE_SDK_ENVIRONMENT_H_

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "imitate/sdk/plugin.h"
#include "imitate/sdk/spaces.h"

namespace imitate {

// What Reset and Step return. The environment owns it and overwrites it in place on the next
// call (no allocation per step): copy what you want to keep.
struct IMITATE_EXPORT TimeStep {
  // Observation keys as in ObservationSpace(): `pixels` uint8 [H, W, 3], `state` float32 [D].
  TensorMap observation;
  // The task's own score for this step: for evaluation and logs only, never for imitation.
  double reward = 0.0;
  bool is_first = false;     // the observation after Reset
  bool is_last = false;      // the episode ended (terminal or time limit)
  bool is_terminal = false;  // ended by the task itself (not by the time limit)
  // Episode metrics so far, e.g. `success` (0/1) and `tasks_completed`.
  Metrics metrics;
};

// A full simulator state (MuJoCo: time, qpos, qvel, act, controls, plus the task's own state).
using SimState = std::vector<double>;

// A simulated task. Lifecycle: Create(params) -> Reset(seed) -> Step(action)... until is_last
// -> Reset(seed) ... Stepping after is_last without a Reset throws UsageError.
class IMITATE_EXPORT Environment : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kEnvironment;
  ~Environment() override;

  // The observation keys this environment emits and their spaces.
  virtual const ObservationSpace& ObservationSpec() const = 0;

  // The action space: float32 [A] in [low, high].
  virtual const Space& ActionSpec() const = 0;

  // Maximum number of Step calls in one episode (the time limit).
  virtual int64_t EpisodeLength() const = 0;

  // Starts an episode. The same seed gives the same episode.
  virtual const TimeStep& Reset(uint64_t seed) = 0;

  // Applies one action (float32 [A], clipped to the action space) and advances one control step.
  virtual const TimeStep& Step(const torch::Tensor& action) = 0;

  // Renders the current state from a named camera ("" = the default) as uint8 [H, W, 3],
  // top row first. Throws UsageError for an unknown camera.
  virtual torch::Tensor Render(const std::string& camera, int width, int height) = 0;

  // Names of the cameras Render accepts.
  virtual std::vector<std::string> Cameras() const = 0;

  // The full simulator and task state, and its restoration. After SetState(GetState()), Step
  // with the same actions gives identical results.
  virtual SimState GetState() const = 0;
  virtual void SetState(const SimState& state) = 0;
};

}  // namespace imitate

#endif  // IMITATE_SDK_ENVIRONMENT_H_
