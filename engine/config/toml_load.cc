#include "engine/config/toml_load.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/config/overrides.h"

namespace imitate::engine::config {
namespace fs = std::filesystem;
namespace {

// a file on the current `extends` chain: canonical path (for cycles) and the path as loaded
struct ChainLink {
  std::string canonical;
  std::string shown;
};

// reads a whole file, or fails with a one-line message naming it (`where` is who asked for it)
std::string ReadFile(const std::string& path, const std::string& where, const std::string& key) {
  // the file is named again only when someone else (an `extends`) asked for it
  std::string subject = where == path ? "" : path + " ";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    Fail(where, key, "file not found" + (subject.empty() ? "" : ": " + path));
  }
  if (fs::is_directory(path, ec)) Fail(where, key, subject + "is a directory, not a TOML file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) Fail(where, key, subject + "cannot be read");
  return text.str();
}

// the file's lines without line endings
std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

// the `extends` entries of a parsed file: each path with the node that wrote it
std::vector<std::pair<std::string, const toml::node*>> ExtendsList(const toml::table& table) {
  std::vector<std::pair<std::string, const toml::node*>> list;
  const toml::node* node = table.get("extends");
  if (node == nullptr) return list;
  if (auto s = node->value_exact<std::string>()) {
    list.emplace_back(*s, node);
  } else if (const toml::array* array = node->as_array()) {
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& e = *array->get(i);
      auto s = e.value_exact<std::string>();
      if (!s)
        Fail(Where(e.source()), fmt::format("extends[{}]", i),
             "expected string, got " + Describe(e));
      list.emplace_back(*s, &e);
    }
  } else {
    Fail(Where(node->source()), "extends",
         "expected a path or an array of paths, got " + Describe(*node));
  }
  return list;
}

toml::table LoadRecursive(const std::string& path, std::vector<ChainLink>& chain,
                          SourceLines* lines) {
  // parse this file; syntax errors carry TOML++'s description and position
  std::string text = ReadFile(path, path, "");
  (*lines)[path] = SplitLines(text);
  toml::table own;
  try {
    own = toml::parse(text, std::string(path));
  } catch (const toml::parse_error& e) {
    Fail(Where(e.source(), path), "", fmt::format("TOML syntax error: {}", e.description()));
  }

  // load each extended file (relative to this one), merging left to right
  toml::table merged;
  for (const auto& [relative, node] : ExtendsList(own)) {
    std::string where = Where(node->source(), path);
    std::string base = (fs::path(path).parent_path() / relative).lexically_normal().string();
    ReadFile(base, where, "extends");  // fails early, naming both files
    std::string canonical = fs::canonical(base).string();
    auto seen = std::find_if(chain.begin(), chain.end(),
                             [&](const ChainLink& l) { return l.canonical == canonical; });
    if (seen != chain.end()) {
      std::vector<std::string> shown;
      for (auto it = seen; it != chain.end(); ++it) shown.push_back(it->shown);
      shown.push_back(base);
      Fail(where, "extends", fmt::format("cycle: {}", fmt::join(shown, " -> ")));
    }
    chain.push_back({canonical, base});
    MergeTables(merged, LoadRecursive(base, chain, lines));
    chain.pop_back();
  }

  // this file's own keys override its bases
  own.erase("extends");
  MergeTables(merged, std::move(own));
  return merged;
}

// true when `table` holds one chain of single-key tables down to one value (one override)
bool IsSingleKeyChain(const toml::table& table) {
  const toml::table* t = &table;
  while (true) {
    if (t->size() != 1) return false;
    const toml::node& child = t->begin()->second;
    if (!child.is_table() || child.as_table()->is_inline()) return true;
    t = child.as_table();
  }
}

// parses "key = value" with the override as the source path, or nullopt
std::optional<toml::table> ParseAssignment(const std::string& key, const std::string& value,
                                           const std::string& source) {
  try {
    toml::table t = toml::parse(key + " = " + value, std::string(source));
    if (IsSingleKeyChain(t)) return t;
  } catch (const toml::parse_error&) {
  }
  return std::nullopt;
}

}  // namespace

toml::table LoadTomlFile(const std::string& path, SourceLines* lines) {
  std::vector<ChainLink> chain;
  std::error_code ec;
  std::string canonical = fs::weakly_canonical(path, ec).string();
  chain.push_back({ec ? path : canonical, path});
  return LoadRecursive(path, chain, lines);
}

void MergeTables(toml::table& into, toml::table&& from) {
  for (auto&& [key, node] : from) {
    // tables merge key by key
    toml::table* existing = into.get_as<toml::table>(key.str());
    if (existing != nullptr && node.is_table()) {
      MergeTables(*existing, std::move(*node.as_table()));
      continue;
    }
    // anything else replaces, keeping the new key's and node's source
    into.erase(key.str());
    node.visit([&into, &key = key](auto&& n) { into.insert(key, std::move(n)); });
  }
}

void ApplyOverride(toml::table& root, const std::string& override_text) {
  const std::string source = std::string(kOverridePrefix) + override_text;
  auto [key, value] = SplitOverride(override_text);

  // TOML value syntax first, then the value as a bare string
  std::optional<toml::table> parsed = ParseAssignment(key, value, source);
  if (!parsed) parsed = ParseAssignment(key, ToToml(value), source);
  if (!parsed) Fail(source, "", fmt::format("'{}' is not a valid key path", key));
  MergeTables(root, std::move(*parsed));
}

}  // namespace imitate::engine::config
