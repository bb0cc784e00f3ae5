// Helpers shared by the config module: error positions, printable messages, TOML -> ParamValue.
#ifndef IMITATE_ENGINE_CONFIG_TOML_UTIL_H_
#define IMITATE_ENGINE_CONFIG_TOML_UTIL_H_

#include <toml++/toml.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "imitate/sdk/params.h"

namespace imitate::engine::config {

// The prefix of an override's source path: "--set key=value" is the "file" of its value.
inline constexpr std::string_view kOverridePrefix = "--set ";

// The text of every file loaded so far, one entry per line, by source path (for comments).
using SourceLines = std::map<std::string, std::vector<std::string>>;

// "file:line:column" of a region, just "file" for an override or a region without a position,
// or `fallback` when the region names no file.
std::string Where(const toml::source_region& region, const std::string& fallback = "");

// Throws ConfigError "<where>: <key_path>: <what>" (or "<where>: <what>" for an empty key path).
[[noreturn]] void Fail(const std::string& where, const std::string& key_path,
                       const std::string& what);

// `text` made safe for a one-line message: control bytes and invalid UTF-8 become \xNN escapes.
std::string Printable(std::string_view text);

// "a.b" from a table path and a key ("b" when the path is empty).
std::string JoinKey(const std::string& path, const std::string& key);

// A node described for "got ..." in messages: `string "abc"`, `integer 3`, `table`, ...
std::string Describe(const toml::node& node);

// Converts `node` to a value of `spec`'s type where TOML allows it. Returns "" on success, or
// the reason ("expected integer, got string \"abc\"") with `out` untouched.
std::string NodeToValue(const toml::node& node, const ParamSpec& spec, ParamValue* out);

// True when the line of `node` ends with the comment `# default` (written by ResolvedToml).
bool HasDefaultMarker(const toml::node& node, const SourceLines& lines);

}  // namespace imitate::engine::config

#endif  // IMITATE_ENGINE_CONFIG_TOML_UTIL_H_
