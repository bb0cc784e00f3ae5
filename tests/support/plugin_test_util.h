// Helpers for plugin tests: the build's real plugins, loaded once through the real loader.
#ifndef IMITATE_TESTS_SUPPORT_PLUGIN_TEST_UTIL_H_
#define IMITATE_TESTS_SUPPORT_PLUGIN_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/params.h"

namespace imitate::test_support {

// Every plugin of the build (build/plugins next to the test executable), loaded once.
inline const engine::Registry& BuiltPlugins() {
  static const engine::Registry* registry = [] {
    auto* r = new engine::Registry();  // never destroyed: plugin libraries are never unloaded
    engine::LoadPluginDirectories(engine::PluginSearchPath(), *r);
    return r;
  }();
  return *registry;
}

// A plugin of interface T named `name`, with `given` parameters (the rest defaulted) validated
// as the TOML table `table`. Throws imitate::Error when the plugin was not built.
template <typename T>
std::unique_ptr<T> MakePlugin(const std::string& name, const std::string& table,
                              const std::map<std::string, ParamValue>& given = {}) {
  const engine::RegistryEntry* entry = BuiltPlugins().Find(T::kKind, name);
  if (entry == nullptr) {
    throw Error(std::string(PluginKindName(T::kKind)) + " '" + name + "' was not built");
  }
  return BuiltPlugins().Create<T>(name, Params::Make(table, entry->info.params, given));
}

// The message of the imitate::Error `fn` throws, or "" when it throws none.
template <typename Fn>
std::string ErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace imitate::test_support

#endif  // IMITATE_TESTS_SUPPORT_PLUGIN_TEST_UTIL_H_
