// Declared plugin parameters. A plugin publishes a list of ParamSpec; the engine checks each
// TOML table against it, fills defaults, and hands the plugin a validated Params.
#ifndef IMITATE_SDK_PARAMS_H_
#define IMITATE_SDK_PARAMS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "imitate/sdk/abi.h"

namespace imitate {

// The value types a parameter can have (TOML: boolean, integer, float, string, arrays).
enum class ParamType { kBool, kInt, kFloat, kString, kIntList, kFloatList, kStringList };

// A parameter value; the alternative's index matches ParamType.
using ParamValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                                std::vector<double>, std::vector<std::string>>;

// Name of a type as users read it in messages ("integer", "array of floats", ...).
IMITATE_EXPORT const char* ParamTypeName(ParamType type);

// The type of a value.
IMITATE_EXPORT ParamType TypeOf(const ParamValue& value);

// A value in TOML syntax (strings quoted, arrays bracketed).
IMITATE_EXPORT std::string ToToml(const ParamValue& value);

// One declared parameter: name, type, default (absent = required), doc, optional range/choices.
struct IMITATE_EXPORT ParamSpec {
  std::string name;
  ParamType type = ParamType::kInt;
  std::optional<ParamValue> default_value;  // std::nullopt: the user must give a value
  std::string doc;                          // one line, shown by `imitate plugins NAME`
  std::optional<double> min;                // inclusive bound (numbers, and each list element)
  std::optional<double> max;                // inclusive bound
  std::vector<std::string> choices;         // allowed strings (empty: any)
  std::optional<size_t> min_length;         // for lists
  std::optional<size_t> max_length;

  // Fluent setters for the optional parts.
  ParamSpec& Min(double v) {
    min = v;
    return *this;
  }
  ParamSpec& Max(double v) {
    max = v;
    return *this;
  }
  ParamSpec& Range(double lo, double hi) {
    min = lo;
    max = hi;
    return *this;
  }
  ParamSpec& Positive() {
    min = 1;
    return *this;
  }  // integers >= 1
  ParamSpec& Choices(std::vector<std::string> c) {
    choices = std::move(c);
    return *this;
  }
  ParamSpec& Length(size_t lo, size_t hi) {
    min_length = lo;
    max_length = hi;
    return *this;
  }

  // Why `value` does not satisfy this spec, or "" when it does. Integers are accepted for
  // float parameters (callers convert them with Coerce first).
  std::string Check(const ParamValue& value) const;

  // `value` converted to this spec's type where TOML allows it (integer -> float, list of
  // integers -> list of floats); otherwise unchanged.
  ParamValue Coerce(const ParamValue& value) const;

  // A human-readable description of the range and choices ("in [1, 4096]"), or "".
  std::string Constraint() const;
};

// Builders for declarations, e.g. IntParam("hidden", 256, "units per layer").Range(1, 4096).
IMITATE_EXPORT ParamSpec BoolParam(std::string name, bool def, std::string doc);
IMITATE_EXPORT ParamSpec IntParam(std::string name, int64_t def, std::string doc);
IMITATE_EXPORT ParamSpec FloatParam(std::string name, double def, std::string doc);
IMITATE_EXPORT ParamSpec StringParam(std::string name, std::string def, std::string doc);
IMITATE_EXPORT ParamSpec IntListParam(std::string name, std::vector<int64_t> def, std::string doc);
IMITATE_EXPORT ParamSpec FloatListParam(std::string name, std::vector<double> def, std::string doc);
IMITATE_EXPORT ParamSpec StringListParam(std::string name, std::vector<std::string> def,
                                         std::string doc);
// A parameter without a default: the user must set it.
IMITATE_EXPORT ParamSpec RequiredParam(std::string name, ParamType type, std::string doc);

using ParamSpecs = std::vector<ParamSpec>;

// The validated values of one table (e.g. `[environment]`), every declared name present.
class IMITATE_EXPORT Params {
 public:
  Params() = default;

  // Validates `given` against `specs` and fills defaults. Throws ConfigError naming
  // `path.key` for an unknown key, a wrong type, a value out of range or a missing value.
  static Params Make(const std::string& path, const ParamSpecs& specs,
                     const std::map<std::string, ParamValue>& given = {});

  // Typed access; throws InternalError when `name` is undeclared or has another type.
  bool Bool(const std::string& name) const;
  int64_t Int(const std::string& name) const;
  double Float(const std::string& name) const;
  const std::string& String(const std::string& name) const;
  const std::vector<int64_t>& IntList(const std::string& name) const;
  const std::vector<double>& FloatList(const std::string& name) const;
  const std::vector<std::string>& StringList(const std::string& name) const;

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  bool IsDefault(const std::string& name) const { return defaulted_.count(name) > 0; }

  // The table's key path ("environment"), used in messages.
  const std::string& path() const { return path_; }
  const std::map<std::string, ParamValue>& values() const { return values_; }

  // Throws ConfigError "<path>.<name>: <message>" (for checks a spec cannot express).
  [[noreturn]] void Fail(const std::string& name, const std::string& message) const;

 private:
  const ParamValue& Get(const std::string& name, ParamType type) const;

  std::string path_;
  std::map<std::string, ParamValue> values_;
  std::set<std::string> defaulted_;
};

// The closest of `candidates` to `word` by edit distance, or "" when none is close.
IMITATE_EXPORT std::string DidYouMean(const std::string& word,
                                      const std::vector<std::string>& candidates);

}  // namespace imitate

#endif  // IMITATE_SDK_PARAMS_H_
