#include "tools/bench/bench_plugins.h"

#include <torch/torch.h>

#include <vector>

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

Batch RandomBatch(const ObservationSpace& space, int64_t actions, int64_t b, int64_t t) {
  Batch batch;
  for (const auto& [key, spec] : space) {
    std::vector<int64_t> shape = {b, t};
    shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
    batch.observation[key] = spec.dtype == torch::kUInt8
                                 ? torch::randint(0, 256, shape, torch::kUInt8)
                                 : torch::randn(shape, torch::kFloat32);
  }
  batch.action = torch::rand({b, t, actions}) * 2 - 1;
  batch.action.select(1, 0).zero_();
  batch.reward = torch::zeros({b, t});
  batch.is_first = torch::zeros({b, t}, torch::kBool);
  batch.is_first.select(1, 0).fill_(true);
  batch.is_last = torch::zeros({b, t}, torch::kBool);
  batch.is_terminal = torch::zeros({b, t}, torch::kBool);
  return batch;
}

}  // namespace imitate::bench
