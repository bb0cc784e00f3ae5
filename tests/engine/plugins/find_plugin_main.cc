// imitate_find_plugin ENVIRONMENT [EXPERT]: loads every plugin on the search path (as the
// imitate executable does), lists them, then creates ENVIRONMENT from its defaults and runs
// one episode (with EXPERT's actions when given, zeros otherwise). Exits 0 when all works.
// The out-of-tree plugin test uses it to prove an installed-SDK plugin loads and runs.
#include <torch/types.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "engine/plugins/loader.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"

namespace imitate::engine {
namespace {

int Run(const std::string& env_name, const std::string& expert_name) {
  // load and list, like `imitate plugins`
  Registry registry;
  for (const std::string& lib : LoadPluginDirectories(PluginSearchPath(), registry)) {
    std::cout << "loaded " << lib << "\n";
  }
  for (const RegistryEntry* e : registry.All()) {
    std::cout << PluginKindName(e->info.kind) << " " << e->info.name << ": " << e->info.doc << "\n";
  }

  // the environment from its defaults
  const RegistryEntry& env_entry = registry.Get(PluginKind::kEnvironment, env_name, "argv[1]");
  std::unique_ptr<Environment> env =
      registry.Create<Environment>(env_name, Params::Make("environment", env_entry.info.params));
  std::unique_ptr<Expert> expert;
  if (!expert_name.empty()) {
    const RegistryEntry& entry = registry.Get(PluginKind::kExpert, expert_name, "argv[2]");
    expert = registry.Create<Expert>(expert_name, Params::Make("expert", entry.info.params));
  }

  // one episode
  const TimeStep* step = &env->Reset(1);
  for (const auto& [key, space] : env->ObservationSpec()) {
    if (!step->observation.count(key) || !space.Matches(step->observation.at(key))) {
      throw InternalError("observation '" + key + "' does not match " + space.ToString());
    }
  }
  if (expert) expert->Reset(*env, *step, 1);
  int64_t steps = 0;
  while (!step->is_last) {
    if (steps >= env->EpisodeLength()) throw InternalError("episode longer than EpisodeLength()");
    torch::Tensor action = expert ? expert->Act(*env, *step) : env->ActionSpec().Zeros();
    step = &env->Step(action);
    ++steps;
  }
  std::cout << env_name << ": episode of " << steps << " steps";
  for (const auto& [name, value] : step->metrics) std::cout << ", " << name << "=" << value;
  std::cout << "\n";
  return 0;
}

}  // namespace
}  // namespace imitate::engine

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: " << argv[0] << " ENVIRONMENT [EXPERT]\n";
    return 2;
  }
  try {
    return imitate::engine::Run(argv[1], argc > 2 ? argv[2] : "");
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
