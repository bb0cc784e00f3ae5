// LoadExperiment: file + extends, then presets, then overrides, then validation.
#include "engine/config/experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

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

  // presets in order, then overrides in order
  for (const std::string& preset : source.presets) {
    config::MergeTables(root, config::LoadTomlFile(FindPreset(preset, source.path), &lines));
  }
  for (const std::string& override_text : source.overrides) {
    config::ApplyOverride(root, override_text);
  }
  return config::BuildExperiment(root, source.path, file_empty, registry, lines);
}

}  // namespace imitate::engine
