#include "engine/config/toml_util.h"

#include <fmt/format.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine::config {
namespace {

// the length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid
size_t Utf8Length(std::string_view text, size_t i) {
  auto byte = static_cast<unsigned char>(text[i]);
  size_t n = byte < 0x80           ? 1
             : (byte >> 5) == 0x6  ? 2
             : (byte >> 4) == 0xe  ? 3
             : (byte >> 3) == 0x1e ? 4
                                   : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return 0;
  }
  return n;
}

// a list of the spec's list type from an array whose elements all convert, or nullopt
std::optional<ParamValue> ArrayToValue(const toml::array& array, ParamType want) {
  bool all_int = true, all_number = true, all_string = true;
  for (const toml::node& e : array) {
    all_int = all_int && e.is_integer();
    all_number = all_number && (e.is_integer() || e.is_floating_point());
    all_string = all_string && e.is_string();
  }
  // an empty array takes the wanted list type
  if (array.empty()) {
    if (want == ParamType::kFloatList) return std::vector<double>{};
    if (want == ParamType::kStringList) return std::vector<std::string>{};
    return std::vector<int64_t>{};
  }
  if (all_int && want != ParamType::kFloatList) {
    std::vector<int64_t> list;
    for (const toml::node& e : array) list.push_back(*e.value<int64_t>());
    return list;
  }
  if (all_number) {
    std::vector<double> list;
    for (const toml::node& e : array) list.push_back(*e.value<double>());
    return list;
  }
  if (all_string) {
    std::vector<std::string> list;
    for (const toml::node& e : array) list.push_back(*e.value<std::string>());
    return list;
  }
  return std::nullopt;
}

}  // namespace

std::string Where(const toml::source_region& region, const std::string& fallback) {
  if (!region.path) return fallback;
  const std::string& path = *region.path;
  if (path.rfind(kOverridePrefix, 0) == 0 || region.begin.line == 0) return path;
  return fmt::format("{}:{}:{}", path, region.begin.line, region.begin.column);
}

void Fail(const std::string& where, const std::string& key_path, const std::string& what) {
  std::string message = where.empty() ? "" : where + ": ";
  if (!key_path.empty()) message += key_path + ": ";
  throw ConfigError(Printable(message + what));
}

std::string Printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t n = Utf8Length(text, i);
    // control bytes and broken sequences are escaped, everything else is kept
    if (n == 0 || byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string JoinKey(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Describe(const toml::node& node) {
  // scalars read as "<type> <value>", containers by their type only (arrays shortened)
  if (auto v = node.value_exact<std::string>()) return "string " + ToToml(*v);
  if (auto v = node.value_exact<int64_t>()) return "integer " + ToToml(*v);
  if (auto v = node.value_exact<double>()) return "float " + ToToml(*v);
  if (auto v = node.value_exact<bool>()) return std::string("boolean ") + (*v ? "true" : "false");
  if (node.is_table()) return "table";
  if (node.is_date()) return "date";
  if (node.is_time()) return "time";
  if (node.is_date_time()) return "date-time";
  if (const toml::array* array = node.as_array()) {
    std::ostringstream text;
    text << *array;
    std::string s = text.str();
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return "array " + s;
  }
  return "value";
}

std::string NodeToValue(const toml::node& node, const ParamSpec& spec, ParamValue* out) {
  std::optional<ParamValue> value;
  if (auto v = node.value_exact<bool>()) value = *v;
  if (auto v = node.value_exact<int64_t>()) value = *v;
  if (auto v = node.value_exact<double>()) value = *v;
  if (auto v = node.value_exact<std::string>()) value = *v;
  if (const toml::array* array = node.as_array()) value = ArrayToValue(*array, spec.type);
  if (!value) return fmt::format("expected {}, got {}", ParamTypeName(spec.type), Describe(node));
  *out = std::move(*value);
  return "";
}

bool HasDefaultMarker(const toml::node& node, const SourceLines& lines) {
  const toml::source_region& region = node.source();
  if (!region.path) return false;
  auto file = lines.find(*region.path);
  if (file == lines.end() || region.begin.line == 0 || region.begin.line > file->second.size()) {
    return false;
  }
  // the comment after the last '#' of the value's line
  const std::string& line = file->second[region.begin.line - 1];
  size_t hash = line.rfind('#');
  if (hash == std::string::npos) return false;
  std::string comment = line.substr(hash);
  while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\t')) {
    comment.pop_back();
  }
  return comment == "# default";
}

}  // namespace imitate::engine::config
