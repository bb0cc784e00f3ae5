// `--set key.path=value` overrides outside an experiment file (e.g. `imitate demos`).
#ifndef IMITATE_ENGINE_CONFIG_OVERRIDES_H_
#define IMITATE_ENGINE_CONFIG_OVERRIDES_H_

#include <string>
#include <utility>

#include "imitate/sdk/params.h"

namespace imitate::engine {

// Splits "key.path=value" at the first '=' and trims both sides. Throws ConfigError
// "--set <text>: ..." when there is no '=' or the key is empty.
std::pair<std::string, std::string> SplitOverride(const std::string& text);

// The key path and value of an override. The value is read as TOML ("3" is an integer, "[1, 2]"
// an array of integers, "\"x\"" a string) and, when it does not parse, taken as a bare string
// ("point_mass"). Throws ConfigError naming the override for a malformed override or a value
// no parameter can hold (a table, a date, an array of arrays).
std::pair<std::string, ParamValue> ParseOverride(const std::string& text);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_CONFIG_OVERRIDES_H_
