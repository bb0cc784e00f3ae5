// Every experiment file and preset in experiments/ validates against the built plugins, so
// that the files users start from never rot.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/batch/batch.h"
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

// a batch file names its experiments with a top-level `base`
bool IsBatchFile(const fs::path& p) { return toml::parse_file(p.string()).contains("base"); }

// experiment (or batch) files: every .toml outside presets/ except the shared base.toml
std::vector<fs::path> TomlFiles(bool batches) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(ExperimentsDir())) {
    const fs::path& p = entry.path();
    if (p.extension() != ".toml" || p.parent_path().filename() == "presets") continue;
    if (p.filename() == "base.toml") continue;  // shared fragments, not experiments
    if (IsBatchFile(p) == batches) files.push_back(p);
  }
  return files;
}
std::vector<fs::path> ExperimentFiles() { return TomlFiles(false); }

// Every batch file expands, and every point of it is a valid experiment.
TEST(ExperimentsTest, EveryBatchFileExpandsToValidExperiments) {
  std::vector<fs::path> files = TomlFiles(true);
  ASSERT_GE(files.size(), 3u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    try {
      std::vector<BatchRun> runs = ExpandBatch(LoadBatch(file.string()));
      EXPECT_GE(runs.size(), 1u);
      for (const BatchRun& run : runs) {
        LoadExperiment({run.experiment, run.presets, run.overrides}, test_support::BuiltPlugins());
      }
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
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

TEST(ExperimentsTest, EveryPresetAppliesToEveryExperiment) {
  int presets = 0;
  for (const auto& entry : fs::directory_iterator(ExperimentsDir() / "presets")) {
    std::string name = entry.path().stem().string();
    ++presets;
    for (const fs::path& file : ExperimentFiles()) {
      SCOPED_TRACE(name + " on " + file.string());
      try {
        LoadExperiment({file.string(), {name}, {}}, test_support::BuiltPlugins());
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
  EXPECT_GE(presets, 3);
}

// Kind sections ([dynamics.rssm_ensemble]) apply only to the chosen plugin.
TEST(ExperimentsTest, PresetKindSectionsFollowTheChosenPlugin) {
  const std::string cmil = (ExperimentsDir() / "point_mass" / "cmil.toml").string();
  Experiment ensemble = LoadExperiment({cmil, {"small"}, {}}, test_support::BuiltPlugins());
  EXPECT_EQ(ensemble.dynamics.params.Int("members"), 5);
  EXPECT_EQ(ensemble.dynamics.params.Int("deter"), 128);
  EXPECT_EQ(ensemble.optimizer.params.IntList("actor_hidden"), (std::vector<int64_t>{128, 128}));
  // an override of the kind picks that kind's section
  Experiment single =
      LoadExperiment({cmil, {"small"}, {"dynamics.kind=rssm", "optimizer.uncertainty_penalty=0"}},
                     test_support::BuiltPlugins());
  EXPECT_EQ(single.dynamics.kind, "rssm");
  EXPECT_EQ(single.dynamics.params.Int("deter"), 128);
  // [schedule.vmail]: V-MAIL gets no offline phases, CMIL keeps them
  const std::string vmail = (ExperimentsDir() / "point_mass" / "vmail.toml").string();
  Experiment v = LoadExperiment({vmail, {"small"}, {}}, test_support::BuiltPlugins());
  EXPECT_EQ(v.schedule.Int("pretrain_updates"), 0);
  EXPECT_GT(ensemble.schedule.Int("pretrain_updates"), 0);
}

// `--set` takes kind sections too: one override list can serve every agent of a batch.
TEST(ExperimentsTest, OverrideKindSectionsFollowTheChosenPlugin) {
  const std::vector<std::string> overrides = {"schedule.cmil.env_steps=1234",
                                              "optimizer.cmil.uncertainty_penalty=0"};
  const std::string cmil = (ExperimentsDir() / "point_mass" / "cmil.toml").string();
  Experiment c = LoadExperiment({cmil, {"small"}, overrides}, test_support::BuiltPlugins());
  EXPECT_EQ(c.schedule.Int("env_steps"), 1234);
  EXPECT_EQ(c.optimizer.params.Float("uncertainty_penalty"), 0.0);
  const std::string bc = (ExperimentsDir() / "point_mass" / "bc.toml").string();
  Experiment b = LoadExperiment({bc, {"small"}, overrides}, test_support::BuiltPlugins());
  EXPECT_EQ(b.schedule.Int("env_steps"), 0);
  std::string message = test_support::ErrorOf([&] {
    LoadExperiment({cmil, {}, {"schedule.cmill.env_steps=1"}}, test_support::BuiltPlugins());
  });
  EXPECT_NE(message.find("--set schedule.cmill.env_steps=1: schedule.cmill"), std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean 'cmil'"), std::string::npos) << message;
}

// A section named after no plugin is a one-line error naming it.
TEST(ExperimentsTest, MisnamedKindSectionIsAnError) {
  fs::path dir = fs::temp_directory_path() / "imitate_kind_sections";
  fs::create_directories(dir / "presets");
  fs::copy_file(ExperimentsDir() / "point_mass" / "cmil.toml", dir / "cmil.toml",
                fs::copy_options::overwrite_existing);
  fs::copy_file(ExperimentsDir() / "point_mass" / "base.toml", dir / "base.toml",
                fs::copy_options::overwrite_existing);
  {
    std::FILE* f = std::fopen((dir / "presets" / "typo.toml").string().c_str(), "w");
    std::fputs("[dynamics.rssm_ensembel]\nmembers = 3\n", f);
    std::fclose(f);
  }
  std::string message = test_support::ErrorOf([&] {
    LoadExperiment({(dir / "cmil.toml").string(), {"typo"}, {}}, test_support::BuiltPlugins());
  });
  EXPECT_NE(message.find("dynamics.rssm_ensembel"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'rssm_ensemble'"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace imitate::engine
