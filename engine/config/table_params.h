// One TOML table checked against declared parameters, with positions in every message.
#ifndef IMITATE_ENGINE_CONFIG_TABLE_PARAMS_H_
#define IMITATE_ENGINE_CONFIG_TABLE_PARAMS_H_

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "engine/config/toml_util.h"
#include "imitate/sdk/params.h"

namespace imitate::engine::config {

// Validates the keys of `table` (all but `skip`) against `specs` and returns its Params with
// defaults filled. `path` is the table's key path ("environment"; "" at the top level) and
// `where` the position named when a required value is missing. A value on a line ending in
// `# default` that equals the default stays marked as defaulted (resolved files read back
// unchanged). Throws ConfigError "file:line:column: path.key: ..." for an unknown key (with a
// did-you-mean), a wrong type or a value out of range.
Params TableParams(const toml::table& table, const std::string& path, const ParamSpecs& specs,
                   const SourceLines& lines, const std::string& where,
                   const std::vector<std::string>& skip = {});

// The position of `key` in `table`'s value, or `fallback` when the key is absent.
std::string WhereKey(const toml::table& table, const std::string& key, const std::string& fallback);

}  // namespace imitate::engine::config

#endif  // IMITATE_ENGINE_CONFIG_TABLE_PARAMS_H_
