// Reading experiment TOML: files with their `extends` chains, deep merges and `--set` overrides.
// Nodes keep their source regions, so later errors point where a value was written.
#ifndef IMITATE_ENGINE_CONFIG_TOML_LOAD_H_
#define IMITATE_ENGINE_CONFIG_TOML_LOAD_H_

#include <toml++/toml.h>

#include <string>

#include "engine/config/toml_util.h"

namespace imitate::engine::config {

// Parses `path` and the files its `extends` names (relative to `path`'s folder, recursively),
// merged left to right with `path`'s own keys last; `extends` itself is removed. Records the
// text of each file in `lines`. Throws ConfigError for a missing, unreadable or malformed file,
// a bad `extends` value, a missing extended file or a cycle.
toml::table LoadTomlFile(const std::string& path, SourceLines* lines);

// Deep-merges `from` into `into`: tables merge key by key, everything else replaces. Nodes are
// moved, keeping their sources.
void MergeTables(toml::table& into, toml::table&& from);

// Applies one override "key.path=value" to `root`. The value is TOML ("3", "[1, 2]", "\"x\"")
// or, when it does not parse as TOML, a bare string. Its source path is "--set <override>".
void ApplyOverride(toml::table& root, const std::string& override_text);

}  // namespace imitate::engine::config

#endif  // IMITATE_ENGINE_CONFIG_TOML_LOAD_H_
