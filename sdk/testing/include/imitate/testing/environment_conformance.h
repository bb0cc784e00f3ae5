// A GoogleTest conformance kit every environment plugin's test calls.
#ifndef IMITATE_TESTING_ENVIRONMENT_CONFORMANCE_H_
#define IMITATE_TESTING_ENVIRONMENT_CONFORMANCE_H_

#include <functional>
#include <memory>

#include "imitate/sdk/environment.h"

namespace imitate::testing {

// Makes a fresh environment with fixed parameters (each call a new object).
using EnvironmentFactory = std::function<std::unique_ptr<Environment>()>;

// Checks, with EXPECT/ASSERT, that environments made by `make` keep the Environment contract
// over `episodes` episodes of uniformly random actions:
//  - the action space is float32 1-D with finite bounds; observations of Reset and every Step
//    have exactly the keys, dtypes and shapes of ObservationSpec();
//  - is_first only after Reset; is_last at EpisodeLength() at the latest and earlier only when
//    is_terminal; is_terminal implies is_last; Step after is_last throws UsageError;
//  - float observations, rewards and metrics are finite; metric keys are the same every step;
//  - the same seed and actions give the same trajectory in two fresh environments, and two
//    seeds give different first observations;
//  - SetState(GetState()) mid-episode replays the same observations and rewards, in the same
//    environment and in another one reset with a different seed;
//  - Render of the default camera has the requested size (two sizes) and every camera in
//    Cameras() renders; an unknown camera throws UsageError.
void ExpectEnvironmentConforms(const EnvironmentFactory& make, int episodes = 2);

}  // namespace imitate::testing

#endif  // IMITATE_TESTING_ENVIRONMENT_CONFORMANCE_H_
