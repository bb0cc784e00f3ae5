#include "tools/bench/bench_plugins.h"

#include "engine/plugins/loader.h"

namespace imitate::bench {
namespace {

// the registry and the files it came from, filled once
struct Loaded {
  engine::Registry registry;
  std::vector<std::string> files;
};

const Loaded& Load() {
  static const Loaded* loaded = [] {
    auto* result = new Loaded;
    result->files = engine::LoadPluginDirectories(engine::PluginSearchPath(), result->registry);
    return result;
  }();
  return *loaded;
}

}  // namespace

const engine::Registry& Plugins() { return Load().registry; }

const std::vector<std::string>& LoadedPluginFiles() { return Load().files; }

Params PluginParams(PluginKind kind, const std::string& name, const std::string& path,
                    const std::map<std::string, ParamValue>& given) {
  const engine::RegistryEntry& entry = Plugins().Get(kind, name, path + ".kind");
  return Params::Make(path, entry.info.params, given);
}

}  // namespace imitate::bench
