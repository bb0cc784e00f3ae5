// The host's table of every loaded plugin: kind + name -> declaration and factory.
#ifndef IMITATE_ENGINE_PLUGINS_REGISTRY_H_
#define IMITATE_ENGINE_PLUGINS_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/registrar.h"

namespace imitate::engine {

// A registered plugin and the library file it came from.
struct RegistryEntry {
  PluginInfo info;
  std::string library;  // path of the shared library
};

class Registry {
 public:
  // Adds the plugins of one library. Throws PluginLoadError when a kind + name is already
  // registered, naming both library files.
  void Add(std::vector<PluginInfo> infos, const std::string& library);

  // The entry for `kind` + `name`, or null.
  const RegistryEntry* Find(PluginKind kind, const std::string& name) const;

  // The entry for `kind` + `name`; throws ConfigError listing the available names otherwise.
  // `where` prefixes the message (e.g. "exp.toml:3:8: environment.kind").
  const RegistryEntry& Get(PluginKind kind, const std::string& name,
                           const std::string& where) const;

  // Registered names of one kind, sorted.
  std::vector<std::string> Names(PluginKind kind) const;

  // Every entry, sorted by kind then name.
  std::vector<const RegistryEntry*> All() const;

  // Creates a plugin of interface T from validated params; a plugin's failure is rethrown
  // with the plugin named.
  template <typename T>
  std::unique_ptr<T> Create(const std::string& name, const Params& params) const {
    const RegistryEntry& entry = Get(T::kKind, name, params.path() + ".kind");
    std::unique_ptr<Plugin> object = CreateChecked(entry, params);
    T* typed = dynamic_cast<T*>(object.get());
    if (typed == nullptr) {
      throw PluginLoadError(entry.library + ": plugin '" + name + "' is not a " +
                            PluginKindName(T::kKind));
    }
    object.release();
    return std::unique_ptr<T>(typed);
  }

 private:
  std::unique_ptr<Plugin> CreateChecked(const RegistryEntry& entry, const Params& params) const;

  std::map<std::pair<PluginKind, std::string>, RegistryEntry> entries_;
};

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_PLUGINS_REGISTRY_H_
