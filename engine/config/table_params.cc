#include "engine/config/table_params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace imitate::engine::config {
Params TableParams(const toml::table& table, const std::string& path, const ParamSpecs& specs,
                   const SourceLines& lines, const std::string& where,
                   const std::vector<std::string>& skip) {
  std::vector<std::string> names;
  for (const ParamSpec& spec : specs) names.push_back(spec.name);

  std::map<std::string, ParamValue> given;
  for (auto&& [key, node] : table) {
    std::string name(key.str());
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;

    // unknown keys: suggest a near miss and list what the table takes
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const ParamSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      std::string hint = DidYouMean(name, names);
      Fail(Where(key.source(), where), JoinKey(path, name),
           fmt::format("unknown key{}; {}", hint.empty() ? "" : " (did you mean '" + hint + "'?)",
                       names.empty() ? "this table takes no parameters"
                                     : fmt::format("known keys: {}", fmt::join(names, ", "))));
    }

    // type, then range and choices
    ParamValue value;
    std::string error = NodeToValue(node, *spec, &value);
    if (error.empty()) error = spec->Check(value);
    if (!error.empty()) Fail(Where(node.source(), where), JoinKey(path, name), error);
    value = spec->Coerce(value);

    // a `# default` value read back from a resolved file stays a default
    if (spec->default_value && value == *spec->default_value && HasDefaultMarker(node, lines)) {
      continue;
    }
    given[name] = std::move(value);
  }

  // required values must be given
  for (const ParamSpec& spec : specs) {
    if (!spec.default_value && given.count(spec.name) == 0) {
      Fail(where, JoinKey(path, spec.name),
           fmt::format("required {} is missing ({})", ParamTypeName(spec.type), spec.doc));
    }
  }
  return Params::Make(path, specs, given);
}

std::string WhereKey(const toml::table& table, const std::string& key,
                     const std::string& fallback) {
  const toml::node* node = table.get(key);
  return node == nullptr ? fallback : Where(node->source(), fallback);
}

}  // namespace imitate::engine::config
