// ResolvedToml: the experiment as a TOML file that LoadExperiment reads back unchanged.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "engine/config/experiment.h"

namespace imitate::engine {
namespace {

// a header comment value on one line
std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](unsigned char c) { return c < 0x20; }, ' ');
  return text;
}

// a key, quoted unless it is a bare TOML key
std::string Key(const std::string& name) {
  bool bare = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-';
  });
  return bare ? name : ToToml(name);
}

// one table: optional kind first, then the params in declaration order, defaults marked
void AppendTable(std::string& out, const std::string& table, const std::string& kind,
                 const ParamSpecs& specs, const Params& params) {
  out += fmt::format("\n[{}]\n", table);
  if (!kind.empty()) out += fmt::format("kind = {}\n", ToToml(kind));
  auto line = [&](const std::string& name) {
    out += fmt::format("{} = {}{}\n", Key(name), ToToml(params.values().at(name)),
                       params.IsDefault(name) ? "  # default" : "");
  };
  if (specs.empty()) {
    for (const auto& [name, value] : params.values()) line(name);
  } else {
    for (const ParamSpec& spec : specs) {
      if (params.Has(spec.name)) line(spec.name);
    }
  }
}

}  // namespace

std::string ResolvedToml(const Experiment& experiment, const std::string& fingerprint,
                         const std::string& git_revision) {
  // provenance
  std::string out = "# resolved by imitate\n";
  out += fmt::format("# fingerprint: {}\n", OneLine(fingerprint));
  out += fmt::format("# git: {}\n", OneLine(git_revision));
  out += fmt::format("# source: {}\n\n", OneLine(experiment.path));

  // top level
  out += fmt::format("name = {}\n", ToToml(experiment.name));
  out += fmt::format("seed = {}\n", experiment.seed);
  out += fmt::format("device = {}\n", ToToml(experiment.device));
  out += fmt::format("threads = {}\n", experiment.threads);

  // tables in the design's order; absent optional plugin tables are left out
  auto plugin = [&](const char* table, const PluginSection& section) {
    if (section.present) AppendTable(out, table, section.kind, section.specs, section.params);
  };
  plugin("environment", experiment.environment);
  AppendTable(out, "demos", "", DemosSpecs(), experiment.demos);
  plugin("encoder", experiment.encoder);
  plugin("dynamics", experiment.dynamics);
  plugin("reward", experiment.reward);
  plugin("optimizer", experiment.optimizer);
  AppendTable(out, "schedule", "", ScheduleSpecs(), experiment.schedule);
  return out;
}

}  // namespace imitate::engine
