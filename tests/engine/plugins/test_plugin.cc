// The registration unit of every loader test plugin. CMake builds it several times with
// different definitions: the environment's name, the ABI version and the fingerprint.
#include <utility>

#include "imitate/sdk/registrar.h"
#include "tests/engine/plugins/test_environment.h"

#ifndef TEST_PLUGIN_ENV_NAME
#define TEST_PLUGIN_ENV_NAME "loader_test_env"
#endif

#ifdef TEST_PLUGIN_NEEDS_DEP  // the missing_dep plugin: a library dlopen cannot find
extern "C" int imitate_loader_test_dep_value(void);
#endif

IMITATE_PLUGIN(registrar) {
#ifdef TEST_PLUGIN_NEEDS_DEP
  if (imitate_loader_test_dep_value() != 1) return;
#endif
  imitate::PluginInfo info;
  info.kind = imitate::PluginKind::kEnvironment;
  info.name = TEST_PLUGIN_ENV_NAME;
  info.doc = "A counter environment used by the plugin loader tests";
  info.params = imitate::testing::TestEnvironmentSpecs();
  info.factory = &imitate::testing::CreateTestEnvironment;
  registrar.AddInfo(std::move(info));
}
