#include "engine/plugins/loader.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <boost/filesystem.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "imitate/sdk/registrar.h"
#include "imitate/sdk/version.h"

namespace imitate::engine {
namespace {

// libraries stay loaded for the life of the process: LibTorch static state does not survive
// dlclose, so the vector is deliberately never destroyed
std::vector<boost::dll::shared_library>& LoadedLibraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

// "a=1;b=2" -> {a: 1, b: 2}, keeping the field order
std::vector<std::pair<std::string, std::string>> ParseFingerprint(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string field = text.substr(start, end - start);
    size_t eq = field.find('=');
    if (!field.empty()) {
      fields.emplace_back(field.substr(0, eq), eq == std::string::npos ? "" : field.substr(eq + 1));
    }
    start = end + 1;
  }
  return fields;
}

// why dlopen fails for `path` (a missing dependency, not an ELF file, ...): Boost.DLL only
// reports "Bad file descriptor" and clears dlerror(), so ask dlopen again
std::string DlopenError(const std::string& path) {
  // a handle that does open stays open: libraries are never unloaded
  if (::dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL) != nullptr) return "unknown dlopen error";
  const char* why = ::dlerror();
  return why != nullptr ? why : "unknown dlopen error";
}

}  // namespace

const char* HostFingerprint() { return IMITATE_BUILD_FINGERPRINT; }

void CheckManifest(const ImitatePluginManifest& manifest, const std::string& library) {
  // the leading plain-C fields first: they are readable from any build
  if (manifest.abi_version != IMITATE_ABI_VERSION) {
    throw AbiMismatchError(fmt::format(
        "{}: plugin refused: abi_version differs: plugin has {}, engine has {} (rebuild the "
        "plugin against this SDK)",
        library, manifest.abi_version, IMITATE_ABI_VERSION));
  }
  if (manifest.manifest_size != sizeof(ImitatePluginManifest)) {
    throw AbiMismatchError(
        fmt::format("{}: plugin refused: manifest_size differs: plugin has {}, engine has {}",
                    library, manifest.manifest_size, sizeof(ImitatePluginManifest)));
  }
  // then the fingerprint, field by field
  std::string plugin_fp = manifest.fingerprint ? manifest.fingerprint : "";
  std::string host_fp = HostFingerprint();
  if (plugin_fp == host_fp) return;
  auto plugin_fields = ParseFingerprint(plugin_fp);
  std::map<std::string, std::string> plugin_map(plugin_fields.begin(), plugin_fields.end());
  for (const auto& [name, host_value] : ParseFingerprint(host_fp)) {
    auto it = plugin_map.find(name);
    std::string plugin_value = it == plugin_map.end() ? "(missing)" : it->second;
    if (plugin_value != host_value) {
      throw AbiMismatchError(fmt::format(
          "{}: plugin refused: build fingerprint field '{}' differs: plugin has {}, engine has {}",
          library, name, plugin_value, host_value));
    }
  }
  throw AbiMismatchError(fmt::format(
      "{}: plugin refused: build fingerprint differs: plugin has \"{}\", engine has \"{}\"",
      library, plugin_fp, host_fp));
}

std::vector<std::string> PluginSearchPath() {
  std::vector<std::string> dirs;
  auto add = [&dirs](const boost::filesystem::path& p) {
    boost::system::error_code ec;
    if (!boost::filesystem::is_directory(p, ec)) return;
    std::string canonical = boost::filesystem::canonical(p, ec).string();
    if (ec) canonical = p.string();
    if (std::find(dirs.begin(), dirs.end(), canonical) == dirs.end()) dirs.push_back(canonical);
  };
  // next to the executable: build/bin/../plugins, or <prefix>/bin/../lib/imitate/plugins
  boost::system::error_code ec;
  boost::filesystem::path exe_dir = boost::dll::program_location(ec).parent_path();
  if (!ec) {
    add(exe_dir.parent_path() / "plugins");
    add(exe_dir.parent_path() / "lib" / "imitate" / "plugins");
  }
  // IMITATE_PLUGIN_PATH, ':'-separated
  if (const char* env = std::getenv("IMITATE_PLUGIN_PATH")) {
    std::string path = env;
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) add(path.substr(start, end - start));
      start = end + 1;
    }
  }
  return dirs;
}

void LoadPluginLibrary(const std::string& path, Registry& registry) {
  // open without running anything but the library's static initialisers
  boost::system::error_code ec;
  boost::dll::shared_library library(path, boost::dll::load_mode::rtld_lazy, ec);
  if (ec) {
    throw PluginLoadError(
        fmt::format("{}: cannot load plugin library: {}", path, DlopenError(path)));
  }
  // its static initialisers have run: keep it loaded even when it is refused below
  LoadedLibraries().push_back(library);
  if (!library.has(IMITATE_MANIFEST_SYMBOL)) {
    throw PluginLoadError(
        fmt::format("{}: not an imitate plugin (no symbol {})", path, IMITATE_MANIFEST_SYMBOL));
  }
  auto manifest_fn = library.get<const ImitatePluginManifest*()>(IMITATE_MANIFEST_SYMBOL);
  const ImitatePluginManifest* manifest = manifest_fn();
  if (manifest == nullptr) {
    throw PluginLoadError(fmt::format("{}: plugin returned no manifest", path));
  }
  CheckManifest(*manifest, path);

  // only now touch C++: collect the library's registrations
  Registrar registrar;
  try {
    manifest->register_all(&registrar);
  } catch (const std::exception& e) {
    throw PluginLoadError(fmt::format("{}: plugin registration failed: {}", path, e.what()));
  }
  registry.Add(registrar.Release(), path);
}

std::vector<std::string> LoadPluginDirectories(const std::vector<std::string>& dirs,
                                               Registry& registry) {
  std::vector<std::string> loaded;
  for (const std::string& dir : dirs) {
    boost::system::error_code ec;
    std::vector<std::string> files;
    for (boost::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      // a separate error code: a broken link must not end the scan of the folder
      const auto& p = it->path();
      boost::system::error_code file_ec;
      if (p.extension() == ".so" && boost::filesystem::is_regular_file(p, file_ec)) {
        files.push_back(p.string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      LoadPluginLibrary(file, registry);
      loaded.push_back(file);
    }
  }
  return loaded;
}

}  // namespace imitate::engine
