// Finding and loading plugin libraries: directory scan, Boost.DLL load, manifest handshake.
#ifndef IMITATE_ENGINE_PLUGINS_LOADER_H_
#define IMITATE_ENGINE_PLUGINS_LOADER_H_

#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "imitate/sdk/abi.h"

namespace imitate::engine {

// The host's own manifest fields, compiled into the engine.
const char* HostFingerprint();

// Throws AbiMismatchError when `manifest` (read from `library`) differs from the host in ABI
// version, manifest size or a fingerprint field; the message names the field and both values.
void CheckManifest(const ImitatePluginManifest& manifest, const std::string& library);

// Where plugins are looked for: the build's (or install's) plugin folder next to the
// executable, then every folder of IMITATE_PLUGIN_PATH (':'-separated), without duplicates.
std::vector<std::string> PluginSearchPath();

// Loads one library into `registry`. Libraries are never unloaded. Throws PluginLoadError for
// a file that cannot be opened or has no manifest, AbiMismatchError for a mismatch.
void LoadPluginLibrary(const std::string& path, Registry& registry);

// Loads every shared library (*.so) in each folder of `dirs`, in sorted order. Missing
// folders are skipped. Returns the paths loaded.
std::vector<std::string> LoadPluginDirectories(const std::vector<std::string>& dirs,
                                               Registry& registry);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_PLUGINS_LOADER_H_
