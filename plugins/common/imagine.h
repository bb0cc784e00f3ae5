// Imagination in the latent model and the returns computed on it.
#ifndef IMITATE_PLUGINS_COMMON_IMAGINE_H_
#define IMITATE_PLUGINS_COMMON_IMAGINE_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>

#include "imitate/sdk/dynamics.h"
#include "plugins/common/policy.h"

namespace imitate::plugins {

// A rollout of H steps from N start states; index 0 is the start (a real posterior state).
struct Imagined {
  torch::Tensor features;     // [H + 1, N, F]
  torch::Tensor actions;      // [H + 1, N, A]: actions[i] is sampled from the policy at state i
  torch::Tensor entropy;      // [H + 1, N]: the policy's entropy at state i
  torch::Tensor uncertainty;  // [H + 1, N]: ensemble disagreement of state i (0 at i = 0);
                              // undefined unless asked for
};

// Rolls `actor` out for `horizon` steps through `dynamics` from `start` ([N, ...] states).
// The policy reads detached features (sg(x_i)); actions are reparameterised samples, so the
// features of later states carry gradients into the actor through the dynamics (Dreamer's
// "dynamics" actor gradient). With an ensemble, each step draws one member for the whole batch;
// `with_uncertainty` also computes every member's prediction to fill `uncertainty`.
Imagined Imagine(Dynamics& dynamics, Actor& actor, const LatentState& start, int64_t horizon,
                 bool with_uncertainty, at::Generator& generator);

// TD(lambda) returns of a trajectory, computed backwards:
//   G_i = reward_i + discount * ((1 - lambda) * value_{i+1} + lambda * G_{i+1}),
// with value_L = G_L = bootstrap. reward and value are [L, N] (value_i the value of state i),
// bootstrap [N] the value after the last reward. Returns [L, N].
torch::Tensor LambdaReturn(const torch::Tensor& reward, const torch::Tensor& value,
                           const torch::Tensor& bootstrap, double discount, double lambda);

// The discount weights w_i = discount^i for i = 0 .. length - 1, shaped [length, 1].
torch::Tensor DiscountWeights(int64_t length, double discount, const torch::TensorOptions& options);

// Flattens every tensor of a [B, T, ...] state into [B * T, ...].
LatentState FlattenTime(const LatentState& state);

}  // namespace imitate::plugins

#endif  // IMITATE_PLUGINS_COMMON_IMAGINE_H_
