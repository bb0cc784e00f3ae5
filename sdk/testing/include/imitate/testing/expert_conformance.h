// A GoogleTest conformance kit for expert plugins (demonstrators).
#ifndef IMITATE_TESTING_EXPERT_CONFORMANCE_H_
#define IMITATE_TESTING_EXPERT_CONFORMANCE_H_

#include <cstdint>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/expert.h"

namespace imitate::testing {

// Checks, with EXPECT/ASSERT, that `expert` keeps the Expert contract on `env` over `steps`
// steps of an episode started with env.Reset(env_seed):
//  - SupportedEnvironments() is not empty;
//  - every action is float32 [A] (A = the action space's size), finite and within its bounds;
//  - the same expert seed gives the same actions again (from a fresh Reset of both);
//  - with `seeds_differ`, two expert seeds give different actions (demos differ).
void ExpectExpertConforms(Environment& env, Expert& expert, int steps = 10, uint64_t env_seed = 7,
                          bool seeds_differ = true);

}  // namespace imitate::testing

#endif  // IMITATE_TESTING_EXPERT_CONFORMANCE_H_
