// A tiny environment shared by the loader's test plugins. The header stays free of LibTorch so
// that each test plugin's registration unit compiles in a second.
#ifndef IMITATE_TESTS_ENGINE_PLUGINS_TEST_ENVIRONMENT_H_
#define IMITATE_TESTS_ENGINE_PLUGINS_TEST_ENVIRONMENT_H_

#include <memory>

#include "imitate/sdk/params.h"
#include "imitate/sdk/plugin.h"

namespace imitate::testing {

// The declared parameters: `size` (state dimension) and `episode_length`.
ParamSpecs TestEnvironmentSpecs();

// Makes the environment (an imitate::Environment) from validated params.
std::unique_ptr<Plugin> CreateTestEnvironment(const Params& params);

}  // namespace imitate::testing

#endif  // IMITATE_TESTS_ENGINE_PLUGINS_TEST_ENVIRONMENT_H_
