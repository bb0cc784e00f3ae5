// Shared set-up for the benchmarks: the real plugins, loaded once, and default parameters.
#ifndef IMITATE_TOOLS_BENCH_BENCH_PLUGINS_H_
#define IMITATE_TOOLS_BENCH_BENCH_PLUGINS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "imitate/sdk/optimizer.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/plugin.h"
#include "imitate/sdk/spaces.h"

namespace imitate::bench {

// The registry filled from engine::PluginSearchPath() on first use (build/plugins next to
// build/bin). Throws what the loader throws.
const engine::Registry& Plugins();

// The library files Plugins() loaded.
const std::vector<std::string>& LoadedPluginFiles();

// Validated parameters of plugin `kind` + `name`: its declared defaults overridden by `given`.
// `path` names the TOML table in messages ("environment").
Params PluginParams(PluginKind kind, const std::string& name, const std::string& path,
                    const std::map<std::string, ParamValue>& given = {});

// Creates plugin `name` of interface T from its defaults and `given`.
template <typename T>
std::unique_ptr<T> CreatePlugin(const std::string& name, const std::string& path,
                                const std::map<std::string, ParamValue>& given = {}) {
  return Plugins().Create<T>(name, PluginParams(T::kKind, name, path, given));
}

// A random batch [B, T, ...] of the observation space's keys (uint8 keys uniform in 0..255,
// others standard normal) and actions in [-1, 1) (zero at t = 0); each sequence starts an episode.
Batch RandomBatch(const ObservationSpace& space, int64_t actions, int64_t b, int64_t t);

}  // namespace imitate::bench

#endif  // IMITATE_TOOLS_BENCH_BENCH_PLUGINS_H_
