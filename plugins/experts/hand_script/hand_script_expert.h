// The hand_script expert: a privileged-state finite-state machine that solves the `relocate`
// task of the `hand` environment (envs.md B10): approach the ball, put the palm on it, close the
// fingers and thumb, lift and carry it to the target, hold it there.
#ifndef IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_HAND_SCRIPT_EXPERT_H_
#define IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_HAND_SCRIPT_EXPERT_H_

#include <mujoco/mujoco.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "imitate/sdk/expert.h"
#include "imitate/sdk/params.h"
#include "plugins/environments/hand/hand_layout.h"
#include "plugins/experts/hand_script/relocate_arm.h"

namespace imitate::plugins::hand_script {

// The phases of a demonstration, in order.
enum class Phase { kApproach = 0, kDescend, kClose, kCarry, kHold };

// Each step the expert reads the ball, the target and the palm site (`S_grasp`) from the
// environment's mjData (MujocoEnvironment), moves a smooth (minimum-jerk) reference for the
// palm site, solves the arm joints for it at a pitch that keeps the vertical slide in range,
// and drives the arm with a critically damped PD law plus gravity compensation, written as the
// servo ctrl that produces it. Fingers and thumb follow scripted joint targets. Actions are
// a = (ctrl - mid) / half-range of each actuator's ctrl range (the environment's convention).
// Offsets, durations and pauses are drawn from Reset's seed.
class HandScriptExpert final : public Expert {
 public:
  // The declared parameters.
  static ParamSpecs Specs();
  // Makes the expert from validated parameters.
  static std::unique_ptr<Expert> Create(const Params& params);

  explicit HandScriptExpert(const Params& params);

  std::vector<std::string> SupportedEnvironments() const override { return {"hand"}; }
  void Reset(Environment& env, const TimeStep& first, uint64_t seed) override;
  torch::Tensor Act(Environment& env, const TimeStep& current) override;

  // The current phase and its name, for tests and logs.
  Phase phase() const { return phase_; }
  static const char* PhaseName(Phase phase);

 private:
  // The episode's random draws (their midpoints without `randomize`).
  struct Draws {
    double speed = 1.0;          // duration divisor of every phase
    Vec3 grasp{};                // palm site offset from the ball centre at the grasp (m)
    double hover = 0.07;         // approach height above the grasp point (m)
    double behind = 0.04;        // approach distance behind (-y) the grasp point (m)
    double thumb = 1.0;          // scale of the closed thumb pose
    double thumb_lead = 0.4;     // share of the closing the thumb starts before the fingers
    std::array<int, 5> pause{};  // steps of stillness before each phase
  };

  // Binds to the environment's model (ids, the arm), checking the task (ConfigError).
  void Bind(Environment& env);
  // Starts `phase` at the current state.
  void StartPhase(Phase phase, const mjData* d);
  // The palm site reference of the current phase and its finger closure in [0, 1].
  Vec3 SiteReference(const mjData* d, double& closure);
  // A uniform sample in [lo, hi] (the midpoint without `randomize`).
  double Draw(double lo, double hi);

  // parameters
  double speed_;
  bool randomize_;
  double offset_noise_;
  double pause_probability_;
  double omega_;
  double zeta_;
  int trace_;  // HAND_SCRIPT_TRACE: 1 prints a line per step to stderr, 2 also the arm joints

  // the environment's model and the ids read from it
  const mjModel* model_ = nullptr;
  std::unique_ptr<RelocateArm> arm_;
  int ball_body_ = -1;
  int target_site_ = -1;
  int palm_site_ = -1;
  int palm_body_ = -1;
  std::array<int, hand::kHandDofs> hand_actuator_{};
  std::vector<double> ctrl_;
  std::vector<double> nominal_qpos_;  // qpos the palm site is solved on (hand joints 0)

  // this episode
  std::mt19937_64 rng_;
  Draws draws_;
  bool started_ = false;
  Phase phase_ = Phase::kApproach;
  int phase_step_ = 0;
  int phase_length_ = 1;
  int pause_left_ = 0;
  int64_t step_ = 0;
  Vec3 phase_site_{};   // palm site reference when the phase started
  Vec3 phase_ball_{};   // ball position when the phase started
  Vec3 grasp_site_{};   // the site reference held while closing
  Vec3 hold_offset_{};  // palm site - ball in the palm frame, measured at the carry's start
  Vec3 carry_blend_{};  // last reference - palm site at the carry's start, faded out
  Vec3 integral_{};     // slow correction of the ball's position during the hold
  Vec3 last_site_ref_{};
  ArmVector last_q_ref_{};
  ArmVector last_v_ref_{};
  ArmVector last_a_ref_{};
  double pitch_ = 0;  // the filtered pitch reference
  bool have_ref_ = false;
};

}  // namespace imitate::plugins::hand_script

#endif  // IMITATE_PLUGINS_EXPERTS_HAND_SCRIPT_HAND_SCRIPT_EXPERT_H_
