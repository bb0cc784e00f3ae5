// The registry on hand-made registrations: lookup, suggestions, conflicts and construction.
#include "engine/plugins/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"

namespace imitate::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// a plugin object that implements no interface
class Blob : public Plugin {};

PluginInfo Info(PluginKind kind, std::string name, PluginFactory factory = nullptr) {
  PluginInfo info;
  info.kind = kind;
  info.name = std::move(name);
  info.doc = "a test plugin";
  info.params = {IntParam("size", 3, "a size")};
  info.factory = factory ? std::move(factory) : [](const Params&) -> std::unique_ptr<Plugin> {
    return std::make_unique<Blob>();
  };
  return info;
}

std::string ConfigErrorOf(const Registry& registry, PluginKind kind, const std::string& name) {
  try {
    registry.Get(kind, name, "exp.toml:3:8: environment.kind");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for " << name;
  return "";
}

TEST(RegistryTest, FindsNamesAndListsSorted) {
  Registry registry;
  registry.Add(
      {Info(PluginKind::kEnvironment, "point_mass"), Info(PluginKind::kEnvironment, "kitchen")},
      "/lib/a.so");
  registry.Add({Info(PluginKind::kEncoder, "conv")}, "/lib/b.so");
  // one name may be used by different kinds
  registry.Add({Info(PluginKind::kExpert, "point_mass")}, "/lib/c.so");

  ASSERT_NE(registry.Find(PluginKind::kEnvironment, "kitchen"), nullptr);
  EXPECT_EQ(registry.Find(PluginKind::kEnvironment, "kitchen")->library, "/lib/a.so");
  EXPECT_EQ(registry.Find(PluginKind::kExpert, "point_mass")->library, "/lib/c.so");
  EXPECT_EQ(registry.Find(PluginKind::kEncoder, "kitchen"), nullptr);
  EXPECT_THAT(registry.Names(PluginKind::kEnvironment), ElementsAre("kitchen", "point_mass"));
  EXPECT_TRUE(registry.Names(PluginKind::kOptimizer).empty());
  std::vector<std::string> all;
  for (const RegistryEntry* e : registry.All()) all.push_back(e->info.name);
  EXPECT_THAT(all, ElementsAre("kitchen", "point_mass", "point_mass", "conv"));
}

TEST(RegistryTest, UnknownNameListsAvailableNamesWithSuggestion) {
  Registry registry;
  registry.Add({Info(PluginKind::kEnvironment, "loader_test_env"),
                Info(PluginKind::kEnvironment, "point_mass"), Info(PluginKind::kEncoder, "conv")},
               "/lib/a.so");

  // a near miss is suggested; every name of the kind is listed
  std::string message = ConfigErrorOf(registry, PluginKind::kEnvironment, "loader_test_en");
  EXPECT_THAT(message, HasSubstr("exp.toml:3:8: environment.kind"));
  EXPECT_THAT(message, HasSubstr("\"loader_test_en\""));
  EXPECT_THAT(message, HasSubstr("did you mean \"loader_test_env\""));
  EXPECT_THAT(message, HasSubstr("loader_test_env, point_mass"));
  EXPECT_THAT(message, Not(HasSubstr("conv")));

  // nothing close: no suggestion, still the list
  message = ConfigErrorOf(registry, PluginKind::kEnvironment, "zzzzzzzzzzzz");
  EXPECT_THAT(message, Not(HasSubstr("did you mean")));
  EXPECT_THAT(message, HasSubstr("loader_test_env, point_mass"));

  // no plugin of the kind at all
  EXPECT_THAT(ConfigErrorOf(registry, PluginKind::kOptimizer, "cmil"), HasSubstr("none"));
}

TEST(RegistryTest, ConflictNamesBothLibrariesAndRegistersNothingOfTheSecond) {
  Registry registry;
  registry.Add({Info(PluginKind::kEnvironment, "dup_env")}, "/lib/a.so");
  try {
    registry.Add({Info(PluginKind::kEncoder, "fresh"), Info(PluginKind::kEnvironment, "dup_env")},
                 "/lib/b.so");
    FAIL() << "no conflict";
  } catch (const PluginLoadError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dup_env"));
    EXPECT_THAT(e.what(), HasSubstr("/lib/a.so"));
    EXPECT_THAT(e.what(), HasSubstr("/lib/b.so"));
  }
  EXPECT_EQ(registry.Find(PluginKind::kEncoder, "fresh"), nullptr);
  EXPECT_EQ(registry.Find(PluginKind::kEnvironment, "dup_env")->library, "/lib/a.so");
}

TEST(RegistryTest, ConflictInsideOneLibraryRegistersNothingOfIt) {
  Registry registry;
  EXPECT_THROW(
      registry.Add({Info(PluginKind::kEncoder, "fresh"), Info(PluginKind::kEnvironment, "twice"),
                    Info(PluginKind::kEnvironment, "twice")},
                   "/lib/a.so"),
      PluginLoadError);
  EXPECT_TRUE(registry.All().empty());
}

TEST(RegistryTest, CreateReportsFailingAndWrongPlugins) {
  Registry registry;
  registry.Add(
      {Info(PluginKind::kExpert, "throws_std",
            [](const Params&) -> std::unique_ptr<Plugin> { throw std::runtime_error("boom"); }),
       Info(PluginKind::kExpert, "throws_config",
            [](const Params& p) -> std::unique_ptr<Plugin> { p.Fail("size", "too big"); }),
       Info(PluginKind::kExpert, "returns_null",
            [](const Params&) -> std::unique_ptr<Plugin> { return nullptr; }),
       Info(PluginKind::kExpert, "not_an_expert")},
      "/lib/experts.so");
  Params params = Params::Make("expert", {IntParam("size", 3, "a size")});

  // a foreign exception is wrapped with the plugin and library named
  try {
    registry.Create<Expert>("throws_std", params);
    FAIL() << "no error";
  } catch (const PluginLoadError& e) {
    EXPECT_THAT(e.what(), HasSubstr("throws_std"));
    EXPECT_THAT(e.what(), HasSubstr("/lib/experts.so"));
    EXPECT_THAT(e.what(), HasSubstr("boom"));
  }
  // an imitate::Error passes through unchanged
  try {
    registry.Create<Expert>("throws_config", params);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "expert.size: too big");
  }
  EXPECT_THROW(registry.Create<Expert>("returns_null", params), PluginLoadError);
  EXPECT_THROW(registry.Create<Expert>("not_an_expert", params), PluginLoadError);
  EXPECT_THROW(registry.Create<Expert>("unknown", params), ConfigError);
}

}  // namespace
}  // namespace imitate::engine
