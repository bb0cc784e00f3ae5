#include "engine/config/overrides.h"

#include <toml++/toml.h>

#include <string>
#include <utility>

#include "engine/config/toml_util.h"

namespace imitate::engine {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// the parameter type a TOML node reads as on its own (lists by their elements)
ParamType NaturalType(const toml::node& node) {
  if (node.is_boolean()) return ParamType::kBool;
  if (node.is_floating_point()) return ParamType::kFloat;
  if (node.is_string()) return ParamType::kString;
  if (const toml::array* array = node.as_array()) {
    bool strings = !array->empty(), floats = false;
    for (const toml::node& e : *array) {
      strings = strings && e.is_string();
      floats = floats || e.is_floating_point();
    }
    return strings ? ParamType::kStringList : floats ? ParamType::kFloatList : ParamType::kIntList;
  }
  return ParamType::kInt;
}

}  // namespace

std::pair<std::string, std::string> SplitOverride(const std::string& text) {
  const std::string source = std::string(config::kOverridePrefix) + text;
  size_t eq = text.find('=');
  if (eq == std::string::npos) config::Fail(source, "", "expected --set key.path=value");
  std::string key = Trim(text.substr(0, eq));
  if (key.empty()) config::Fail(source, "", "the key path before '=' is empty");
  return {key, Trim(text.substr(eq + 1))};
}

std::pair<std::string, ParamValue> ParseOverride(const std::string& text) {
  auto [key, raw] = SplitOverride(text);
  const std::string source = std::string(config::kOverridePrefix) + text;

  // TOML value syntax, else a bare string
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + raw, std::string(source));
  } catch (const toml::parse_error&) {
    return {key, raw};
  }
  if (parsed.size() != 1 || !parsed.contains("v")) return {key, raw};

  // the value as the type it reads as
  const toml::node& node = *parsed.get("v");
  ParamSpec spec;
  spec.type = NaturalType(node);
  ParamValue value;
  std::string error = config::NodeToValue(node, spec, &value);
  if (!error.empty()) {
    config::Fail(source, key,
                 "expected a boolean, number, string or flat array, got " + config::Describe(node));
  }
  return {key, value};
}

}  // namespace imitate::engine
