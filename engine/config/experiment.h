// An experiment: a TOML file (plus its `extends`, presets and `--set` overrides) resolved and
// validated against the declared parameters of the engine and of every plugin it names.
#ifndef IMITATE_ENGINE_CONFIG_EXPERIMENT_H_
#define IMITATE_ENGINE_CONFIG_EXPERIMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "imitate/sdk/params.h"

namespace imitate::engine {

// One plugin table ([environment], [encoder], ...): the chosen kind and its validated params.
struct PluginSection {
  bool present = false;  // the table exists in the experiment
  std::string kind;      // registered plugin name
  Params params;         // path() is the table name
  ParamSpecs specs;      // the plugin's declared parameters (their order is ResolvedToml's)
};

// What to load, what overrides to apply.
struct ExperimentSource {
  std::string path;                    // the experiment file
  std::vector<std::string> presets;    // `--preset NAME`, applied after the file, in order
  std::vector<std::string> overrides;  // `--set key.path=value`, applied last, in order
};

// A fully resolved, validated experiment.
struct Experiment {
  std::string path;  // the experiment file as given
  std::string name;
  int64_t seed = 0;
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N"
  int64_t threads = 0;         // 0 = as many as the machine has

  PluginSection environment;  // required
  PluginSection encoder;      // required
  PluginSection dynamics;     // optional
  PluginSection reward;       // optional
  PluginSection optimizer;    // required
  Params demos;               // engine-declared: DemosSpecs()
  Params schedule;            // engine-declared: ScheduleSpecs()
};

// The engine's own tables: [demos] and [schedule].
const ParamSpecs& DemosSpecs();
const ParamSpecs& ScheduleSpecs();

// Loads and validates an experiment. Throws ConfigError with a one-line message
// "file:line:column: key.path: what is wrong" for any problem (missing or unreadable file,
// TOML syntax, unknown keys or tables with a did-you-mean, wrong types, out-of-range values,
// unknown kinds listing the available ones, missing required tables, extends cycles).
Experiment LoadExperiment(const ExperimentSource& source, const Registry& registry);

// The resolved experiment as TOML: every value, defaults marked `# default`, with the build
// fingerprint and git revision as header comments. LoadExperiment reads it back unchanged.
std::string ResolvedToml(const Experiment& experiment, const std::string& fingerprint,
                         const std::string& git_revision);

// Folders searched for `--preset NAME` (NAME.toml): `presets/` next to the experiment file and
// in its parent folders, then the source tree's experiments/presets.
std::vector<std::string> PresetSearchPath(const std::string& experiment_path);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_CONFIG_EXPERIMENT_H_
