// Validation of a merged experiment document against the engine's and the plugins' declarations.
#ifndef IMITATE_ENGINE_CONFIG_VALIDATE_H_
#define IMITATE_ENGINE_CONFIG_VALIDATE_H_

#include <toml++/toml.h>

#include <string>

#include "engine/config/experiment.h"
#include "engine/config/toml_util.h"
#include "engine/plugins/registry.h"

namespace imitate::engine::config {

// Builds the Experiment from `root` (the file with its extends, presets and overrides merged).
// `path` is the experiment file; `file_empty` says the file itself held no keys (its message
// then says so). Throws ConfigError naming file:line:column and the key path on any problem.
Experiment BuildExperiment(const toml::table& root, const std::string& path, bool file_empty,
                           const Registry& registry, const SourceLines& lines);

}  // namespace imitate::engine::config

#endif  // IMITATE_ENGINE_CONFIG_VALIDATE_H_
