#include "engine/config/validate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/config/table_params.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine::config {
namespace {

// the experiment's tables: name, whether required, and the plugin kind of plugin tables
struct TableInfo {
  const char* name;
  bool required;
  bool plugin;
  PluginKind kind;
};
constexpr TableInfo kTables[] = {
    {"environment", true, true, PluginKind::kEnvironment},
    {"demos", true, false, PluginKind::kEnvironment},
    {"encoder", true, true, PluginKind::kEncoder},
    {"dynamics", false, true, PluginKind::kDynamics},
    {"reward", false, true, PluginKind::kRewardLearner},
    {"optimizer", true, true, PluginKind::kOptimizer},
    {"schedule", false, false, PluginKind::kEnvironment},
};

// the top-level scalars, declared like a plugin's params
const ParamSpecs& TopLevelSpecs() {
  static const ParamSpecs specs = {
      StringParam("name", "", "the run's name; default: the experiment file's stem"),
      IntParam("seed", 0, "random seed").Min(0),
      StringParam("device", "cpu", "\"cpu\", \"cuda\" or \"cuda:N\""),
      IntParam("threads", 0, "CPU threads; 0 = all cores").Range(0, 1024),
  };
  return specs;
}

std::vector<std::string> TableNames() {
  std::vector<std::string> names;
  for (const TableInfo& t : kTables) names.push_back(t.name);
  return names;
}

// every top-level key must be a known scalar or table
void CheckTopLevelKeys(const toml::table& root, const std::string& path) {
  std::vector<std::string> known = TableNames();
  for (const ParamSpec& s : TopLevelSpecs()) known.push_back(s.name);
  for (auto&& [key, node] : root) {
    std::string name(key.str());
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (name == "extends") {
      Fail(Where(key.source(), path), name, "only an experiment or preset file can extend others");
    }
    std::string hint = DidYouMean(name, known);
    Fail(
        Where(key.source(), path), name,
        fmt::format("unknown {}{}; known: {}", node.is_table() ? "table" : "key",
                    hint.empty() ? "" : " (did you mean '" + hint + "'?)", fmt::join(known, ", ")));
  }
}

// every required table must be there; an empty file says so
void CheckRequiredTables(const toml::table& root, const std::string& path, bool file_empty) {
  std::vector<std::string> missing;
  for (const TableInfo& t : kTables) {
    if (t.required && !root.contains(t.name)) missing.push_back(fmt::format("[{}]", t.name));
  }
  if (missing.empty()) return;
  std::string list = fmt::format("{}", fmt::join(missing, ", "));
  if (file_empty) {
    Fail(path, "", fmt::format("the file is empty; an experiment needs the tables {}", list));
  }
  Fail(path, "", fmt::format("missing required table{} {}", missing.size() > 1 ? "s" : "", list));
}

// the table `name` of `root`, or null when absent; anything but a table is an error
const toml::table* GetTable(const toml::table& root, const std::string& name,
                            const std::string& path) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) {
    Fail(Where(node->source(), path), name, "expected a table, got " + Describe(*node));
  }
  return node->as_table();
}

// a plugin table: its `kind` names a registered plugin whose params the other keys are
PluginSection LoadPlugin(const toml::table& root, const TableInfo& info, const Registry& registry,
                         const SourceLines& lines, const std::string& path) {
  PluginSection section;
  const toml::table* table = GetTable(root, info.name, path);
  if (table == nullptr) return section;
  std::string where = Where(table->source(), path);
  std::string key = std::string(info.name) + ".kind";

  // kind: present, a string, registered
  const toml::node* kind = table->get("kind");
  if (kind == nullptr) {
    std::vector<std::string> names = registry.Names(info.kind);
    Fail(
        where, key,
        fmt::format("missing: name the {} plugin to use (available: {})", PluginKindName(info.kind),
                    names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  auto name = kind->value_exact<std::string>();
  if (!name) Fail(Where(kind->source(), path), key, "expected string, got " + Describe(*kind));
  const RegistryEntry* entry = nullptr;
  try {
    entry = &registry.Get(info.kind, *name, Where(kind->source(), path) + ": " + key);
  } catch (const ConfigError& e) {
    throw ConfigError(Printable(e.what()));  // the kind is the user's text: keep it one line
  }

  // the other keys are the plugin's params
  section.present = true;
  section.kind = *name;
  section.specs = entry->info.params;
  section.params = TableParams(*table, info.name, entry->info.params, lines, where, {"kind"});
  return section;
}

// an engine table ([demos], [schedule]); an absent optional one takes every default
Params LoadEngineTable(const toml::table& root, const std::string& name, const ParamSpecs& specs,
                       const SourceLines& lines, const std::string& path) {
  static const toml::table kEmpty;
  const toml::table* table = GetTable(root, name, path);
  if (table == nullptr) table = &kEmpty;
  return TableParams(*table, name, specs, lines, Where(table->source(), path));
}

bool IsDevice(const std::string& device) {
  if (device == "cpu" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5) return false;
  return std::all_of(device.begin() + 5, device.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

// the top-level scalars, with the checks their specs cannot express
void LoadTopLevel(const toml::table& root, const std::string& path, const SourceLines& lines,
                  Experiment* experiment) {
  Params top = TableParams(root, "", TopLevelSpecs(), lines, path, TableNames());
  experiment->name = top.String("name");
  if (top.IsDefault("name")) experiment->name = std::filesystem::path(path).stem().string();
  const std::string& name = experiment->name;
  if (name.empty() || name == "." || name == ".." || name.find_first_of("/\\") != name.npos) {
    Fail(WhereKey(root, "name", path), "name",
         fmt::format("\"{}\" cannot name a run folder: use a non-empty name without '/'", name));
  }
  experiment->seed = top.Int("seed");
  experiment->threads = top.Int("threads");
  experiment->device = top.String("device");
  if (!IsDevice(experiment->device)) {
    Fail(WhereKey(root, "device", path), "device",
         fmt::format("\"{}\" is not a device: expected \"cpu\", \"cuda\" or \"cuda:N\"",
                     experiment->device));
  }
}

// the optimizer's declared component tables must be present
void CheckComponents(const toml::table& root, const Registry& registry, const std::string& path,
                     const Experiment& experiment) {
  const RegistryEntry* entry = registry.Find(PluginKind::kOptimizer, experiment.optimizer.kind);
  if (entry == nullptr) return;
  std::string where = WhereKey(*root.get_as<toml::table>("optimizer"), "kind", path);
  for (const std::string& component : entry->info.requires_components) {
    const PluginSection* section = component == "encoder"    ? &experiment.encoder
                                   : component == "dynamics" ? &experiment.dynamics
                                   : component == "reward"   ? &experiment.reward
                                                             : nullptr;
    if (section == nullptr) {
      throw InternalError(fmt::format("optimizer \"{}\" ({}) requires an unknown component \"{}\"",
                                      entry->info.name, entry->library, component));
    }
    if (!section->present) {
      Fail(where, "optimizer.kind",
           fmt::format("optimizer \"{}\" requires a [{}] table, which is missing", entry->info.name,
                       component));
    }
  }
}

}  // namespace

Experiment BuildExperiment(const toml::table& root, const std::string& path, bool file_empty,
                           const Registry& registry, const SourceLines& lines) {
  // structure first: unknown keys, then missing tables
  CheckTopLevelKeys(root, path);
  CheckRequiredTables(root, path, file_empty);

  Experiment experiment;
  experiment.path = path;
  LoadTopLevel(root, path, lines, &experiment);

  // the tables, in file order of the design
  experiment.environment = LoadPlugin(root, kTables[0], registry, lines, path);
  experiment.demos = LoadEngineTable(root, "demos", DemosSpecs(), lines, path);
  if (experiment.demos.String("path").empty()) {
    Fail(WhereKey(*root.get_as<toml::table>("demos"), "path", path), "demos.path",
         "must name the HDF5 demo file, not be empty");
  }
  experiment.encoder = LoadPlugin(root, kTables[2], registry, lines, path);
  experiment.dynamics = LoadPlugin(root, kTables[3], registry, lines, path);
  experiment.reward = LoadPlugin(root, kTables[4], registry, lines, path);
  experiment.optimizer = LoadPlugin(root, kTables[5], registry, lines, path);
  experiment.schedule = LoadEngineTable(root, "schedule", ScheduleSpecs(), lines, path);

  CheckComponents(root, registry, path, experiment);
  return experiment;
}

}  // namespace imitate::engine::config
