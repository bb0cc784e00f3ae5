#include "imitate/sdk/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate {
namespace {

// a number in TOML syntax: floats always carry a '.' or exponent
std::string FloatToToml(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// a string in TOML syntax, escaped
std::string StringToToml(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

template <typename T, typename F>
std::string ListToToml(const std::vector<T>& list, F element) {
  std::vector<std::string> parts;
  for (const T& v : list) parts.push_back(element(v));
  return "[" + fmt::format("{}", fmt::join(parts, ", ")) + "]";
}

// checks one number against [min, max]
std::string CheckRange(const ParamSpec& spec, double v) {
  if (std::isnan(v)) return "is not a number";
  if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max)) {
    bool integral = spec.type == ParamType::kInt || spec.type == ParamType::kIntList;
    std::string shown = integral ? std::to_string(static_cast<int64_t>(v)) : FloatToToml(v);
    return fmt::format("{} is out of range: expected {}", shown, spec.Constraint());
  }
  return "";
}

std::string CheckChoice(const ParamSpec& spec, const std::string& v) {
  if (spec.choices.empty() ||
      std::find(spec.choices.begin(), spec.choices.end(), v) != spec.choices.end()) {
    return "";
  }
  std::string hint = DidYouMean(v, spec.choices);
  return fmt::format("\"{}\" is not {}{}", v, spec.Constraint(),
                     hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint));
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

ParamSpec MakeSpec(std::string name, ParamType type, ParamValue def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_value = std::move(def);
  s.doc = std::move(doc);
  return s;
}

}  // namespace

// ----- value helpers ----- //

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kBool:
      return "boolean";
    case ParamType::kInt:
      return "integer";
    case ParamType::kFloat:
      return "float";
    case ParamType::kString:
      return "string";
    case ParamType::kIntList:
      return "array of integers";
    case ParamType::kFloatList:
      return "array of floats";
    case ParamType::kStringList:
      return "array of strings";
  }
  return "unknown";
}

ParamType TypeOf(const ParamValue& value) { return static_cast<ParamType>(value.index()); }

std::string ToToml(const ParamValue& value) {
  switch (TypeOf(value)) {
    case ParamType::kBool:
      return std::get<bool>(value) ? "true" : "false";
    case ParamType::kInt:
      return std::to_string(std::get<int64_t>(value));
    case ParamType::kFloat:
      return FloatToToml(std::get<double>(value));
    case ParamType::kString:
      return StringToToml(std::get<std::string>(value));
    case ParamType::kIntList:
      return ListToToml(std::get<std::vector<int64_t>>(value),
                        [](int64_t v) { return std::to_string(v); });
    case ParamType::kFloatList:
      return ListToToml(std::get<std::vector<double>>(value), FloatToToml);
    case ParamType::kStringList:
      return ListToToml(std::get<std::vector<std::string>>(value), StringToToml);
  }
  return "";
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

// ----- ParamSpec ----- //

ParamValue ParamSpec::Coerce(const ParamValue& value) const {
  if (type == ParamType::kFloat && TypeOf(value) == ParamType::kInt) {
    return static_cast<double>(std::get<int64_t>(value));
  }
  if (type == ParamType::kFloatList && TypeOf(value) == ParamType::kIntList) {
    const auto& ints = std::get<std::vector<int64_t>>(value);
    return std::vector<double>(ints.begin(), ints.end());
  }
  return value;
}

std::string ParamSpec::Constraint() const {
  if (!choices.empty()) {
    std::vector<std::string> quoted;
    for (const auto& c : choices) quoted.push_back("\"" + c + "\"");
    return fmt::format("one of [{}]", fmt::join(quoted, ", "));
  }
  auto num = [this](double v) {
    bool integral = type == ParamType::kInt || type == ParamType::kIntList;
    return integral ? fmt::format("{}", static_cast<int64_t>(v)) : FloatToToml(v);
  };
  if (min && max) return fmt::format("a value in [{}, {}]", num(*min), num(*max));
  if (min) return fmt::format("a value >= {}", num(*min));
  if (max) return fmt::format("a value <= {}", num(*max));
  return "";
}

std::string ParamSpec::Check(const ParamValue& raw) const {
  ParamValue value = Coerce(raw);
  if (TypeOf(value) != type) {
    return fmt::format("expected {}, got {} {}", ParamTypeName(type), ParamTypeName(TypeOf(raw)),
                       ToToml(raw));
  }
  auto check_length = [this](size_t n) -> std::string {
    if ((min_length && n < *min_length) || (max_length && n > *max_length)) {
      return fmt::format("has {} elements, expected between {} and {}", n, min_length.value_or(0),
                         max_length.value_or(SIZE_MAX));
    }
    return "";
  };
  switch (type) {
    case ParamType::kBool:
      return "";
    case ParamType::kInt:
      return CheckRange(*this, static_cast<double>(std::get<int64_t>(value)));
    case ParamType::kFloat:
      return CheckRange(*this, std::get<double>(value));
    case ParamType::kString:
      return CheckChoice(*this, std::get<std::string>(value));
    case ParamType::kIntList: {
      const auto& list = std::get<std::vector<int64_t>>(value);
      if (auto e = check_length(list.size()); !e.empty()) return e;
      for (int64_t v : list) {
        if (auto e = CheckRange(*this, static_cast<double>(v)); !e.empty()) return "element " + e;
      }
      return "";
    }
    case ParamType::kFloatList: {
      const auto& list = std::get<std::vector<double>>(value);
      if (auto e = check_length(list.size()); !e.empty()) return e;
      for (double v : list) {
        if (auto e = CheckRange(*this, v); !e.empty()) return "element " + e;
      }
      return "";
    }
    case ParamType::kStringList: {
      const auto& list = std::get<std::vector<std::string>>(value);
      if (auto e = check_length(list.size()); !e.empty()) return e;
      for (const auto& v : list) {
        if (auto e = CheckChoice(*this, v); !e.empty()) return "element " + e;
      }
      return "";
    }
  }
  return "";
}

// ----- builders ----- //

ParamSpec BoolParam(std::string name, bool def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kBool, def, std::move(doc));
}
ParamSpec IntParam(std::string name, int64_t def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kInt, def, std::move(doc));
}
ParamSpec FloatParam(std::string name, double def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kFloat, def, std::move(doc));
}
ParamSpec StringParam(std::string name, std::string def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kString, std::move(def), std::move(doc));
}
ParamSpec IntListParam(std::string name, std::vector<int64_t> def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kIntList, std::move(def), std::move(doc));
}
ParamSpec FloatListParam(std::string name, std::vector<double> def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kFloatList, std::move(def), std::move(doc));
}
ParamSpec StringListParam(std::string name, std::vector<std::string> def, std::string doc) {
  return MakeSpec(std::move(name), ParamType::kStringList, std::move(def), std::move(doc));
}
ParamSpec RequiredParam(std::string name, ParamType type, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.doc = std::move(doc);
  return s;
}

// ----- Params ----- //

Params Params::Make(const std::string& path, const ParamSpecs& specs,
                    const std::map<std::string, ParamValue>& given) {
  Params p;
  p.path_ = path;
  std::vector<std::string> names;
  for (const ParamSpec& s : specs) names.push_back(s.name);
  // unknown keys
  for (const auto& [key, value] : given) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      std::string hint = DidYouMean(key, names);
      throw ConfigError(
          fmt::format("{}.{}: unknown key{}", path, key,
                      hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    }
  }
  // declared keys: given, defaulted or missing
  for (const ParamSpec& s : specs) {
    auto it = given.find(s.name);
    if (it != given.end()) {
      if (std::string e = s.Check(it->second); !e.empty()) {
        throw ConfigError(fmt::format("{}.{}: {}", path, s.name, e));
      }
      p.values_[s.name] = s.Coerce(it->second);
    } else if (s.default_value) {
      p.values_[s.name] = *s.default_value;
      p.defaulted_.insert(s.name);
    } else {
      throw ConfigError(fmt::format("{}.{}: required {} is missing ({})", path, s.name,
                                    ParamTypeName(s.type), s.doc));
    }
  }
  return p;
}

const ParamValue& Params::Get(const std::string& name, ParamType type) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    throw InternalError(fmt::format("{}.{}: parameter is not declared", path_, name));
  }
  if (TypeOf(it->second) != type) {
    throw InternalError(fmt::format("{}.{}: read as {}, declared as {}", path_, name,
                                    ParamTypeName(type), ParamTypeName(TypeOf(it->second))));
  }
  return it->second;
}

bool Params::Bool(const std::string& n) const { return std::get<bool>(Get(n, ParamType::kBool)); }
int64_t Params::Int(const std::string& n) const {
  return std::get<int64_t>(Get(n, ParamType::kInt));
}
double Params::Float(const std::string& n) const {
  return std::get<double>(Get(n, ParamType::kFloat));
}
const std::string& Params::String(const std::string& n) const {
  return std::get<std::string>(Get(n, ParamType::kString));
}
const std::vector<int64_t>& Params::IntList(const std::string& n) const {
  return std::get<std::vector<int64_t>>(Get(n, ParamType::kIntList));
}
const std::vector<double>& Params::FloatList(const std::string& n) const {
  return std::get<std::vector<double>>(Get(n, ParamType::kFloatList));
}
const std::vector<std::string>& Params::StringList(const std::string& n) const {
  return std::get<std::vector<std::string>>(Get(n, ParamType::kStringList));
}

void Params::Fail(const std::string& name, const std::string& message) const {
  throw ConfigError(fmt::format("{}.{}: {}", path_, name, message));
}

}  // namespace imitate
