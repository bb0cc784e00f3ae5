// LoadExperiment: file + extends, then presets, then overrides, then validation.
#include "engine/config/experiment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "engine/config/overrides.h"
#include "engine/config/toml_load.h"
#include "engine/config/toml_util.h"
#include "engine/config/validate.h"

#ifndef IMITATE_SOURCE_DIR
#define IMITATE_SOURCE_DIR ""
#endif

namespace imitate::engine {
namespace fs = std::filesystem;
namespace {

// the file of preset `name`: NAME.toml in the first search folder that has it
std::string FindPreset(const std::string& name, const std::string& experiment_path) {
  std::string where = "--preset " + name;
  if (name.empty()) config::Fail("--preset", "", "the preset name is empty");
  std::vector<std::string> folders = PresetSearchPath(experiment_path);
  std::error_code ec;
  for (const std::string& folder : folders) {
    fs::path file = fs::path(folder) / (name + ".toml");
    if (fs::is_regular_file(file, ec)) return file.string();
  }

  // unknown: list what the folders hold
  std::set<std::string> available;
  for (const std::string& folder : folders) {
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      if (entry.path().extension() == ".toml") available.insert(entry.path().stem().string());
    }
  }
  std::vector<std::string> names(available.begin(), available.end());
  std::string hint = DidYouMean(name, names);
  config::Fail(where, "",
               fmt::format("unknown preset{}; available: {} (searched: {})",
                           hint.empty() ? "" : " (did you mean '" + hint + "'?)",
                           names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")),
                           folders.empty() ? "no presets folder"
                                           : fmt::format("{}", fmt::join(folders, ", "))));
}

// The tables that may hold kind sections: each with the table whose `kind` picks the section
// and that plugin's kind. [schedule] sections follow the optimizer ([schedule.vmail]).
struct PluginTable {
  const char* name;
  const char* kind_table;
  PluginKind kind;
};
constexpr PluginTable kPluginTables[] = {
    {"environment", "environment", PluginKind::kEnvironment},
    {"encoder", "encoder", PluginKind::kEncoder},
    {"dynamics", "dynamics", PluginKind::kDynamics},
    {"reward", "reward", PluginKind::kRewardLearner},
    {"optimizer", "optimizer", PluginKind::kOptimizer},
    {"schedule", "optimizer", PluginKind::kOptimizer},
};

// the string `kind` of table `name` in `layer`, or "" when it sets none
std::string KindIn(const toml::table& layer, const char* name) {
  const toml::table* table = layer[name].as_table();
  if (table == nullptr) return "";
  return (*table)["kind"].value_or(std::string());
}

// Kind sections: inside a plugin table, a subtable named after a plugin of that table's kind
// (`[encoder.conv]`) holds values that apply only when that plugin is the one chosen, so one
// preset can size every encoder or dynamics model; [schedule.<optimizer>] likewise. Lifts the
// chosen kind's section of each plugin table of `layer` into the table and drops the others. The
// chosen kind is the overrides' (`--set dynamics.kind=...`), else `layer`'s own, else `below`'s
// (what earlier layers set). A section named after no plugin of that kind is an error.
void ApplyKindSections(toml::table& layer, const toml::table& below,
                       const std::vector<std::string>& overrides, const Registry& registry,
                       const std::string& where) {
  for (const PluginTable& info : kPluginTables) {
    toml::table* table = layer[info.name].as_table();
    if (table == nullptr) continue;
    // the kind this table will have
    std::string kind = KindIn(layer, info.kind_table);
    if (kind.empty()) kind = KindIn(below, info.kind_table);
    const std::string kind_key = std::string(info.kind_table) + ".kind";
    for (const std::string& text : overrides) {
      auto [key, value] = SplitOverride(text);
      if (key != kind_key) continue;
      const bool quoted = value.size() >= 2 && (value.front() == '"' || value.front() == '\'');
      kind = quoted ? value.substr(1, value.size() - 2) : value;
    }
    // lift the chosen section, drop the rest
    std::vector<std::string> sections;
    for (auto&& [key, node] : *table) {
      if (node.is_table()) sections.emplace_back(key.str());
    }
    for (const std::string& section : sections) {
      if (registry.Find(info.kind, section) == nullptr) {
        std::vector<std::string> names = registry.Names(info.kind);
        std::string hint = DidYouMean(section, names);
        config::Fail(where, std::string(info.name) + "." + section,
                     fmt::format("a section must be named after a {} plugin{}; known: {}",
                                 PluginKindName(info.kind),
                                 hint.empty() ? "" : " (did you mean '" + hint + "'?)",
                                 fmt::join(names, ", ")));
      }
      if (section == kind) {
        toml::table values = *(*table)[section].as_table();
        for (auto&& [key, node] : values) table->insert_or_assign(key, node);
      }
      table->erase(section);
    }
    // a table that held only sections for other kinds adds nothing
    if (table->empty() && !sections.empty()) layer.erase(info.name);
  }
}

}  // namespace

std::vector<std::string> PresetSearchPath(const std::string& experiment_path) {
  std::vector<std::string> folders;
  std::error_code ec;
  auto add = [&](const fs::path& folder) {
    if (!fs::is_directory(folder, ec)) return;
    std::string normal = fs::weakly_canonical(folder, ec).string();
    if (ec) normal = folder.lexically_normal().string();
    if (std::find(folders.begin(), folders.end(), normal) == folders.end()) {
      folders.push_back(normal);
    }
  };

  // presets/ beside the file and in every folder above it
  fs::path folder = fs::absolute(experiment_path, ec).parent_path();
  while (!folder.empty()) {
    add(folder / "presets");
    if (folder == folder.parent_path()) break;
    folder = folder.parent_path();
  }

  // then the source tree's (the environment variable wins over the build's)
  const char* env = std::getenv("IMITATE_SOURCE_DIR");
  std::string source_dir = env != nullptr && *env != '\0' ? env : IMITATE_SOURCE_DIR;
  if (!source_dir.empty()) add(fs::path(source_dir) / "experiments" / "presets");
  return folders;
}

Experiment LoadExperiment(const ExperimentSource& source, const Registry& registry) {
  // the file with its extends chain
  config::SourceLines lines;
  toml::table root = config::LoadTomlFile(source.path, &lines);
  bool file_empty = root.empty();

  ApplyKindSections(root, toml::table{}, source.overrides, registry, source.path);

  // presets in order, then overrides in order
  for (const std::string& preset : source.presets) {
    const std::string preset_path = FindPreset(preset, source.path);
    toml::table layer = config::LoadTomlFile(preset_path, &lines);
    ApplyKindSections(layer, root, source.overrides, registry, preset_path);
    config::MergeTables(root, std::move(layer));
  }
  // each override is a layer too, so `--set schedule.cmil.env_steps=...` is a kind section
  for (const std::string& override_text : source.overrides) {
    toml::table layer;
    config::ApplyOverride(layer, override_text);
    ApplyKindSections(layer, root, source.overrides, registry,
                      std::string(config::kOverridePrefix) + override_text);
    config::MergeTables(root, std::move(layer));
  }
  return config::BuildExperiment(root, source.path, file_empty, registry, lines);
}

}  // namespace imitate::engine
