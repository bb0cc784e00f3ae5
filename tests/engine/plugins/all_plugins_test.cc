// A smoke test of every plugin on the search path (build/plugins and IMITATE_PLUGIN_PATH):
// each is documented, declares sound parameters and can be made from its defaults. It passes
// with any set of plugins, none included.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/expert.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/reward_learner.h"

namespace imitate::engine {
namespace {

// every library of the search path, loaded once for all tests
const Registry& AllPlugins() {
  static const Registry* registry = [] {
    auto* r = new Registry();
    for (const std::string& dir : PluginSearchPath()) std::cout << "searching " << dir << "\n";
    for (const std::string& lib : LoadPluginDirectories(PluginSearchPath(), *r)) {
      std::cout << "loaded " << lib << "\n";
    }
    return r;
  }();
  return *registry;
}

std::string Describe(const RegistryEntry& e) {
  return std::string(PluginKindName(e.info.kind)) + " '" + e.info.name + "' (" + e.library + ")";
}

// creates a plugin through the interface its kind promises
std::unique_ptr<Plugin> CreateTyped(const Registry& registry, const RegistryEntry& e,
                                    const Params& params) {
  switch (e.info.kind) {
    case PluginKind::kEnvironment:
      return registry.Create<Environment>(e.info.name, params);
    case PluginKind::kExpert:
      return registry.Create<Expert>(e.info.name, params);
    case PluginKind::kEncoder:
      return registry.Create<Encoder>(e.info.name, params);
    case PluginKind::kDynamics:
      return registry.Create<Dynamics>(e.info.name, params);
    case PluginKind::kRewardLearner:
      return registry.Create<RewardLearner>(e.info.name, params);
    case PluginKind::kOptimizer:
      return registry.Create<Optimizer>(e.info.name, params);
  }
  return nullptr;
}

const std::regex kSnakeCase("[a-z][a-z0-9_]*");

TEST(AllPluginsTest, SearchPathLoads) {
  EXPECT_NO_THROW(AllPlugins());
  std::cout << AllPlugins().All().size() << " plugins registered\n";
}

TEST(AllPluginsTest, EveryPluginIsDocumented) {
  for (const RegistryEntry* e : AllPlugins().All()) {
    SCOPED_TRACE(Describe(*e));
    EXPECT_TRUE(std::regex_match(e->info.name, kSnakeCase)) << "name is not snake_case";
    EXPECT_FALSE(e->info.doc.empty()) << "no doc";
    EXPECT_EQ(e->info.doc.find('\n'), std::string::npos) << "doc is more than one line";
    EXPECT_TRUE(static_cast<bool>(e->info.factory)) << "no factory";
  }
}

TEST(AllPluginsTest, EveryParameterIsDocumentedWithAValidDefault) {
  for (const RegistryEntry* e : AllPlugins().All()) {
    std::set<std::string> seen;
    for (const ParamSpec& spec : e->info.params) {
      SCOPED_TRACE(Describe(*e) + " parameter '" + spec.name + "'");
      EXPECT_TRUE(std::regex_match(spec.name, kSnakeCase)) << "name is not snake_case";
      EXPECT_TRUE(seen.insert(spec.name).second) << "declared twice";
      EXPECT_FALSE(spec.doc.empty()) << "no doc";
      if (!spec.default_value) continue;  // required
      EXPECT_EQ(TypeOf(*spec.default_value), spec.type) << "default has another type";
      EXPECT_EQ(spec.Check(*spec.default_value), "") << "default " << ToToml(*spec.default_value);
    }
  }
}

TEST(AllPluginsTest, EveryPluginWithoutRequiredParametersCreatesFromDefaults) {
  const Registry& registry = AllPlugins();
  for (const RegistryEntry* e : registry.All()) {
    SCOPED_TRACE(Describe(*e));
    bool has_required = false;
    for (const ParamSpec& spec : e->info.params) has_required |= !spec.default_value.has_value();
    if (has_required) continue;
    try {
      Params params = Params::Make(PluginKindName(e->info.kind), e->info.params);
      EXPECT_NE(CreateTyped(registry, *e, params), nullptr);
    } catch (const std::exception& ex) {
      ADD_FAILURE() << "cannot be created from its defaults: " << ex.what();
    }
  }
}

}  // namespace
}  // namespace imitate::engine
