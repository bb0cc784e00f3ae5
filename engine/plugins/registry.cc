#include "engine/plugins/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace imitate::engine {

void Registry::Add(std::vector<PluginInfo> infos, const std::string& library) {
  // check the whole library first so that a conflict registers nothing from it
  std::set<std::pair<PluginKind, std::string>> own;
  for (const PluginInfo& info : infos) {
    if (const RegistryEntry* old = Find(info.kind, info.name)) {
      throw PluginLoadError(fmt::format("{} '{}' is registered twice: by {} and by {}",
                                        PluginKindName(info.kind), info.name, old->library,
                                        library));
    }
    if (!own.emplace(info.kind, info.name).second) {
      throw PluginLoadError(fmt::format("{} '{}' is registered twice by {}",
                                        PluginKindName(info.kind), info.name, library));
    }
  }
  for (PluginInfo& info : infos) {
    auto key = std::make_pair(info.kind, info.name);
    entries_[key] = RegistryEntry{std::move(info), library};
  }
}

const RegistryEntry* Registry::Find(PluginKind kind, const std::string& name) const {
  auto it = entries_.find({kind, name});
  return it == entries_.end() ? nullptr : &it->second;
}

const RegistryEntry& Registry::Get(PluginKind kind, const std::string& name,
                                   const std::string& where) const {
  if (const RegistryEntry* e = Find(kind, name)) return *e;
  std::vector<std::string> names = Names(kind);
  std::string hint = DidYouMean(name, names);
  throw ConfigError(
      fmt::format("{}: unknown {} \"{}\"{}; available: {}", where, PluginKindName(kind), name,
                  hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint),
                  names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

std::vector<std::string> Registry::Names(PluginKind kind) const {
  std::vector<std::string> names;
  for (const auto& [key, entry] : entries_) {
    if (key.first == kind) names.push_back(key.second);
  }
  return names;
}

std::vector<const RegistryEntry*> Registry::All() const {
  std::vector<const RegistryEntry*> all;
  for (const auto& [key, entry] : entries_) all.push_back(&entry);
  return all;
}

std::unique_ptr<Plugin> Registry::CreateChecked(const RegistryEntry& entry,
                                                const Params& params) const {
  std::unique_ptr<Plugin> object;
  try {
    object = entry.info.factory(params);
  } catch (const Error&) {
    throw;  // already a one-line message naming the key
  } catch (const std::exception& e) {
    throw PluginLoadError(fmt::format("{} '{}' ({}) failed to construct: {}",
                                      PluginKindName(entry.info.kind), entry.info.name,
                                      entry.library, e.what()));
  }
  if (!object) {
    throw PluginLoadError(fmt::format("{} '{}' ({}) returned no object",
                                      PluginKindName(entry.info.kind), entry.info.name,
                                      entry.library));
  }
  return object;
}

}  // namespace imitate::engine
