// The task rules of the hand environment as plain functions of MuJoCo's model and data: action
// maps, Baoding targets, rewards, goals and `state` observations (envs.md B4-B7, D4-D8).
#ifndef IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_TASKS_H_
#define IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_TASKS_H_

#include <mujoco/mujoco.h>

#include <cstdint>

#include "plugins/environments/hand/hand_layout.h"

namespace imitate::plugins::hand {

// Ids of the named objects the rules read (-1 where a task has none).
struct TaskIds {
  int palm_body = -1;  // Baoding: the targets ride on it
  int ball_body[2] = {-1, -1};
  int palm_site = -1;    // Adroit S_grasp
  int object_body = -1;  // relocate ball
  int target_site = -1;  // relocate target
  int frame_body = -1;   // door frame
  int handle_site = -1;  // door S_handle
};
TaskIds FindTaskIds(const mjModel* m, Task task);

// What one step scored.
struct StepScore {
  double reward = 0.0;
  bool goal = false;                // Adroit: goal achieved at this step
  bool dropped = false;             // Baoding: a ball is below the drop height
  double distance[2] = {0.0, 0.0};  // Baoding: ball-target xy distances; relocate: ball-target
};

// ----- action maps ----- //

// D4: servo targets around the keyframe (0.9 of the way to each ctrl limit), rate-limited to
// +-0.3 rad from the joint positions q, clamped to the ctrl range. `a` is clipped to [-1, 1].
void BaodingControls(const mjModel* m, const float* a, const double* q, double* ctrl);

// D4, step 1 only: the unlimited servo target of joint j for action value a (clipped).
double BaodingTarget(const mjModel* m, int j, double a);

// B4: ctrl = mid + a x half-range of each actuator's ctrl range (a clipped to [-1, 1]).
void AdroitControls(const mjModel* m, const float* a, double* ctrl);

// ----- Baoding ----- //

// D6: the world xy of both targets for step counter k from the palm's current frame:
// out = {t1x, t1y, t2x, t2y}.
void BaodingTargets(const mjModel* m, const mjData* d, const TaskIds& ids, int64_t k, double* out);

// D7: the reward of a step against `targets` (from BaodingTargets).
StepScore BaodingScore(const mjData* d, const double* targets);

// D7's episode statistics: `book` (kStateBook doubles: dropped, sum of the mean per-ball
// distance, scored steps, steps on target within 2 cm and within 1.5 cm) after `step`
// (1-based) scored `score`.
void BaodingRecord(const StepScore& score, int64_t step, double* book);

// The metrics of `book` after `step` steps: success (no drop and on target on >= 90% of steps
// 11..step), mean_target_distance, dropped, on_target_fraction, on_target_fraction_15mm.
void BaodingMetrics(const double* book, int64_t step, double* metrics);

// D8 with correct velocities: writes kBaodingObsSize floats.
void BaodingObservation(const mjData* d, const double* targets, float* out);

// ----- relocate and door ----- //

// B7 dense rewards and goals.
StepScore RelocateScore(const mjModel* m, const mjData* d, const TaskIds& ids);
StepScore DoorScore(const mjModel* m, const mjData* d, const TaskIds& ids);

// B6: writes kAdroitObsSize floats.
void RelocateObservation(const mjData* d, const TaskIds& ids, float* out);
void DoorObservation(const mjData* d, const TaskIds& ids, float* out);

}  // namespace imitate::plugins::hand

#endif  // IMITATE_PLUGINS_ENVIRONMENTS_HAND_HAND_TASKS_H_
