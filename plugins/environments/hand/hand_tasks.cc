#include "plugins/environments/hand/hand_tasks.h"

#include <algorithm>
#include <cmath>

#include "imitate/sdk/mujoco/model.h"

namespace imitate::plugins::hand {
namespace {

constexpr double kPi = 3.14159265358979323846;

double Clip(double a) { return std::clamp(a, -1.0, 1.0); }

// Euclidean distance of two 3-vectors
double Distance3(const double* a, const double* b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                   (a[2] - b[2]) * (a[2] - b[2]));
}

// out[i] = a[i] - b[i] as float
void Difference(const double* a, const double* b, float* out) {
  for (int i = 0; i < 3; ++i) out[i] = static_cast<float>(a[i] - b[i]);
}

void Copy(const double* in, int n, float* out) {
  for (int i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
}

}  // namespace

TaskIds FindTaskIds(const mjModel* m, Task task) {
  TaskIds ids;
  auto body = [m](const char* name) { return mujoco::NameToId(m, mjOBJ_BODY, name, "body"); };
  auto site = [m](const char* name) { return mujoco::NameToId(m, mjOBJ_SITE, name, "site"); };
  ids.palm_body = body(kPalmBody);
  ids.palm_site = site(kPalmSite);
  switch (task) {
    case Task::kBaoding:
      ids.ball_body[0] = body(kBall1Body);
      ids.ball_body[1] = body(kBall2Body);
      break;
    case Task::kRelocate:
      ids.object_body = body(kRelocateBallBody);
      ids.target_site = site(kRelocateTargetSite);
      break;
    case Task::kDoor:
      ids.frame_body = body(kDoorFrameBody);
      ids.handle_site = site(kDoorHandleSite);
      break;
  }
  return ids;
}

// ----- action maps ----- //

double BaodingTarget(const mjModel* m, int j, double a) {
  a = Clip(a);
  const double mid = kBaodingKeyframe[j];
  const double lo = m->actuator_ctrlrange[2 * j], hi = m->actuator_ctrlrange[2 * j + 1];
  return a > 0 ? mid + a * kBaodingActionScale * (hi - mid)
               : mid + a * kBaodingActionScale * (mid - lo);
}

void BaodingControls(const mjModel* m, const float* a, const double* q, double* ctrl) {
  for (int j = 0; j < kHandDofs; ++j) {
    const double target = BaodingTarget(m, j, a[j]);
    const double step = std::clamp(target - q[j], -kBaodingRateLimit, kBaodingRateLimit);
    ctrl[j] =
        std::clamp(q[j] + step, m->actuator_ctrlrange[2 * j], m->actuator_ctrlrange[2 * j + 1]);
  }
}

void AdroitControls(const mjModel* m, const float* a, double* ctrl) {
  for (int i = 0; i < m->nu; ++i) {
    const double lo = m->actuator_ctrlrange[2 * i], hi = m->actuator_ctrlrange[2 * i + 1];
    ctrl[i] = 0.5 * (lo + hi) + Clip(a[i]) * 0.5 * (hi - lo);
  }
}

// ----- Baoding ----- //

void BaodingTargets(const mjModel*, const mjData* d, const TaskIds& ids, int64_t k, double* out) {
  // counter-clockwise: one turn per kBaodingPeriod steps, the balls diametrically opposite
  const double theta = 2.0 * kPi * static_cast<double>(k % kBaodingPeriod) / kBaodingPeriod;
  const double phi[2] = {theta + 0.75 * kPi, theta - 0.25 * kPi};
  const double* p = d->xpos + 3 * ids.palm_body;
  const double* r = d->xmat + 9 * ids.palm_body;  // row-major: world = p + R local
  for (int b = 0; b < 2; ++b) {
    const double local[3] = {kBaodingEllipseX * std::cos(phi[b]) + kBaodingCentre[0],
                             kBaodingCentre[1],
                             kBaodingEllipseZ * std::sin(phi[b]) + kBaodingCentre[2]};
    for (int i = 0; i < 2; ++i) {
      out[2 * b + i] =
          p[i] + r[3 * i] * local[0] + r[3 * i + 1] * local[1] + r[3 * i + 2] * local[2];
    }
  }
}

StepScore BaodingScore(const mjData* d, const double* targets) {
  StepScore s;
  const int qpos[2] = {kBaodingBall1Qpos, kBaodingBall2Qpos};
  for (int b = 0; b < 2; ++b) {
    const double* ball = d->qpos + qpos[b];
    s.distance[b] = std::hypot(ball[0] - targets[2 * b], ball[1] - targets[2 * b + 1]);
    s.dropped = s.dropped || ball[2] < kBaodingDropHeight;
  }
  s.reward = -kBaodingDistanceWeight * (s.distance[0] + s.distance[1]) -
             (s.dropped ? kBaodingDropPenalty : 0.0) -
             (d->qpos[1] > kBaodingWristLimit ? kBaodingWristPenalty : 0.0);
  return s;
}

void BaodingRecord(const StepScore& score, int64_t step, double* book) {
  const bool on = !score.dropped && score.distance[0] < kBaodingOnTarget &&
                  score.distance[1] < kBaodingOnTarget;
  const bool on_strict = !score.dropped && score.distance[0] < kBaodingOnTargetStrict &&
                         score.distance[1] < kBaodingOnTargetStrict;
  book[0] = (book[0] != 0.0 || score.dropped) ? 1.0 : 0.0;
  book[1] += 0.5 * (score.distance[0] + score.distance[1]);
  if (step >= kBaodingFirstScoredStep) {
    book[2] += 1.0;
    book[3] += on ? 1.0 : 0.0;
    book[4] += on_strict ? 1.0 : 0.0;
  }
}

void BaodingMetrics(const double* book, int64_t step, double* metrics) {
  const double scored = book[2];
  const double on_fraction = scored > 0 ? book[3] / scored : 0.0;
  metrics[0] = book[0] == 0.0 && scored > 0 && on_fraction >= kBaodingSuccessFraction ? 1.0 : 0.0;
  metrics[1] = step > 0 ? book[1] / static_cast<double>(step) : 0.0;
  metrics[2] = book[0];
  metrics[3] = on_fraction;
  metrics[4] = scored > 0 ? book[4] / scored : 0.0;
}

void BaodingObservation(const mjData* d, const double* targets, float* out) {
  Copy(d->qpos, kHandDofs, out + kBaodingObsHand);
  Copy(d->qpos + kBaodingBall1Qpos, 3, out + kBaodingObsBall1);
  Copy(d->qvel + kBaodingBall1Qvel, 3, out + kBaodingObsBall1Vel);
  Copy(d->qpos + kBaodingBall2Qpos, 3, out + kBaodingObsBall2);
  Copy(d->qvel + kBaodingBall2Qvel, 3, out + kBaodingObsBall2Vel);
  Copy(targets, 2, out + kBaodingObsTarget1);
  Copy(targets + 2, 2, out + kBaodingObsTarget2);
}

// ----- relocate and door ----- //

StepScore RelocateScore(const mjModel*, const mjData* d, const TaskIds& ids) {
  const double* palm = d->site_xpos + 3 * ids.palm_site;
  const double* ball = d->xpos + 3 * ids.object_body;
  const double* target = d->site_xpos + 3 * ids.target_site;
  StepScore s;
  const double ball_target = Distance3(ball, target);
  s.reward = -0.1 * Distance3(palm, ball);
  if (ball[2] > 0.04) s.reward += 1.0 - 0.5 * Distance3(palm, target) - 0.5 * ball_target;
  if (ball_target < 0.1) s.reward += 10.0;
  if (ball_target < 0.05) s.reward += 20.0;
  s.goal = ball_target < kRelocateGoalDistance;
  s.distance[0] = ball_target;
  return s;
}

StepScore DoorScore(const mjModel* m, const mjData* d, const TaskIds& ids) {
  const double* palm = d->site_xpos + 3 * ids.palm_site;
  const double* handle = d->site_xpos + 3 * ids.handle_site;
  const double hinge = d->qpos[kDoorHingeQpos];
  double qvel_sq = 0.0;
  for (int i = 0; i < m->nv; ++i) qvel_sq += d->qvel[i] * d->qvel[i];
  StepScore s;
  s.reward =
      -0.1 * Distance3(palm, handle) - 0.1 * (hinge - 1.57) * (hinge - 1.57) - 1e-5 * qvel_sq;
  if (hinge > 0.2) s.reward += 2.0;
  if (hinge > 1.0) s.reward += 8.0;
  if (hinge > 1.35) s.reward += 10.0;
  s.goal = hinge >= kDoorGoalAngle;
  return s;
}

void RelocateObservation(const mjData* d, const TaskIds& ids, float* out) {
  const double* palm = d->site_xpos + 3 * ids.palm_site;
  const double* ball = d->xpos + 3 * ids.object_body;
  const double* target = d->site_xpos + 3 * ids.target_site;
  Copy(d->qpos, 30, out);
  Difference(palm, ball, out + 30);
  Difference(palm, target, out + 33);
  Difference(ball, target, out + 36);
}

void DoorObservation(const mjData* d, const TaskIds& ids, float* out) {
  const double* palm = d->site_xpos + 3 * ids.palm_site;
  const double* handle = d->site_xpos + 3 * ids.handle_site;
  Copy(d->qpos + 1, 27, out);
  out[27] = static_cast<float>(d->qpos[kDoorLatchQpos]);
  out[28] = static_cast<float>(d->qpos[kDoorHingeQpos]);
  Copy(palm, 3, out + 29);
  Copy(handle, 3, out + 32);
  Difference(palm, handle, out + 35);
  out[38] = d->qpos[kDoorHingeQpos] > 1.0 ? 1.0f : -1.0f;
}

}  // namespace imitate::plugins::hand
