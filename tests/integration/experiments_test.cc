// Every experiment file and preset in experiments/ validates against the built plugins, so
// that the files users start from never rot.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/config/experiment.h"
#include "imitate/sdk/errors.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

fs::path ExperimentsDir() {
  const char* source = std::getenv("IMITATE_SOURCE_DIR");
  return fs::path(source ? source : ".") / "experiments";
}

// experiment files: every .toml outside presets/ that names an environment (bases may not)
std::vector<fs::path> ExperimentFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(ExperimentsDir())) {
    const fs::path& p = entry.path();
    if (p.extension() != ".toml" || p.parent_path().filename() == "presets") continue;
    if (p.filename() == "base.toml") continue;  // shared fragments, not experiments
    files.push_back(p);
  }
  return files;
}

TEST(ExperimentsTest, EveryExperimentFileValidates) {
  std::vector<fs::path> files = ExperimentFiles();
  ASSERT_GE(files.size(), 3u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    try {
      Experiment e = LoadExperiment({file.string(), {}, {}}, test_support::BuiltPlugins());
      EXPECT_FALSE(e.name.empty());
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(ExperimentsTest, EveryPresetAppliesToTheQuickstart) {
  int presets = 0;
  for (const auto& entry : fs::directory_iterator(ExperimentsDir() / "presets")) {
    std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    ++presets;
    try {
      LoadExperiment({(ExperimentsDir() / "quickstart.toml").string(), {name}, {}},
                     test_support::BuiltPlugins());
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GE(presets, 2);
}

}  // namespace
}  // namespace imitate::engine
