// Registration: what a plugin library tells the engine about the plugins inside it.
//
// Every plugin library has one register.cc:
//
//   #include "imitate/sdk/registrar.h"
//   IMITATE_PLUGIN(registrar) {
//     registrar.Add("point_mass", "A 2-D point mass reaching a target", PointMass::Specs(),
//                   &PointMass::Create);
//   }
#ifndef IMITATE_SDK_REGISTRAR_H_
#define IMITATE_SDK_REGISTRAR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/abi.h"
#include "imitate/sdk/params.h"
#include "imitate/sdk/plugin.h"
#include "imitate/sdk/version.h"

namespace imitate {

// Makes a plugin object from validated parameters.
using PluginFactory = std::function<std::unique_ptr<Plugin>(const Params&)>;

// One registered plugin.
struct IMITATE_EXPORT PluginInfo {
  PluginKind kind = PluginKind::kEnvironment;
  std::string name;   // what TOML writes as `kind = "<name>"`; equals the plugin's folder
  std::string doc;    // one line
  ParamSpecs params;  // the declared parameters of its TOML table
  PluginFactory factory;
  // Optimizers only: the component tables the method needs ("encoder", "dynamics", "reward").
  std::vector<std::string> requires_components;

  // Declares the component tables an optimizer needs (checked before anything runs).
  PluginInfo& Requires(std::vector<std::string> tables) {
    requires_components = std::move(tables);
    return *this;
  }
};

// Collects the PluginInfo of one library while its IMITATE_PLUGIN block runs.
class IMITATE_EXPORT Registrar {
 public:
  // Registers a plugin of the interface `T` derives from. `create` validates anything its
  // specs cannot express and throws ConfigError (naming the key) on bad values.
  template <typename T>
  PluginInfo& Add(std::string name, std::string doc, ParamSpecs params,
                  std::unique_ptr<T> (*create)(const Params&)) {
    PluginInfo info;
    info.kind = T::kKind;
    info.name = std::move(name);
    info.doc = std::move(doc);
    info.params = std::move(params);
    info.factory = [create](const Params& p) -> std::unique_ptr<Plugin> { return create(p); };
    return AddInfo(std::move(info));
  }

  // Registers a prepared PluginInfo.
  PluginInfo& AddInfo(PluginInfo info);

  const std::vector<PluginInfo>& entries() const { return entries_; }
  std::vector<PluginInfo> Release() { return std::move(entries_); }

 private:
  std::vector<PluginInfo> entries_;
};

}  // namespace imitate

// Defines the library's exported manifest and the body that registers its plugins.
#define IMITATE_PLUGIN(registrar)                                                        \
  static void ImitateRegisterAll(::imitate::Registrar& registrar);                       \
  static void ImitateRegisterAllC(void* r) {                                             \
    ImitateRegisterAll(*static_cast<::imitate::Registrar*>(r));                          \
  }                                                                                      \
  extern "C" IMITATE_EXPORT const ImitatePluginManifest* imitate_plugin_manifest(void) { \
    static const ImitatePluginManifest manifest = {                                      \
        IMITATE_ABI_VERSION, sizeof(ImitatePluginManifest), IMITATE_SDK_VERSION,         \
        IMITATE_BUILD_FINGERPRINT, &ImitateRegisterAllC};                                \
    return &manifest;                                                                    \
  }                                                                                      \
  static void ImitateRegisterAll(::imitate::Registrar& registrar)

#endif  // IMITATE_SDK_REGISTRAR_H_
