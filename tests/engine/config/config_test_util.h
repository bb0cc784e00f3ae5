// Shared helpers of the engine/config tests: an in-process registry and a temp folder of TOML.
#ifndef IMITATE_TESTS_ENGINE_CONFIG_CONFIG_TEST_UTIL_H_
#define IMITATE_TESTS_ENGINE_CONFIG_CONFIG_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/experiment.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine::testing {

// A fresh folder under the system temp folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("imitate_config_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // Writes `text` to `relative` (creating folders) and returns the file's path.
  std::string Write(const std::string& relative, const std::string& text) const {
    std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // The path of `relative` inside the folder.
  std::string Path(const std::string& relative = "") const { return (root_ / relative).string(); }

 private:
  std::filesystem::path root_;
};

// A plugin declaration with a factory that makes nothing (config never creates plugins).
inline PluginInfo Fake(PluginKind kind, std::string name, ParamSpecs params) {
  PluginInfo info;
  info.kind = kind;
  info.name = std::move(name);
  info.doc = "a fake plugin";
  info.params = std::move(params);
  info.factory = [](const Params&) { return std::unique_ptr<Plugin>(); };
  return info;
}

// Environments point_mass and kitchen, encoders mlp and conv, dynamics rssm, reward
// discriminator, optimizers bc (needs encoder) and cmil (needs encoder, dynamics, reward).
inline Registry FakeRegistry() {
  Registry registry;
  std::vector<PluginInfo> infos;
  infos.push_back(Fake(PluginKind::kEnvironment, "point_mass",
                       {FloatParam("size", 1.0, "arena half-width").Min(0.1),
                        IntParam("max_steps", 100, "steps per episode").Positive(),
                        StringParam("mode", "dense", "reward mode").Choices({"dense", "sparse"})}));
  infos.push_back(Fake(PluginKind::kEnvironment, "kitchen",
                       {StringListParam("tasks", {"microwave"}, "tasks to solve"),
                        IntParam("image_size", 64, "pixels").Range(16, 256)}));
  infos.push_back(Fake(PluginKind::kEncoder, "mlp",
                       {IntParam("hidden", 256, "units per layer").Range(1, 4096),
                        IntListParam("layers", {256, 256}, "layer sizes")}));
  infos.push_back(Fake(PluginKind::kEncoder, "conv", {IntParam("depth", 32, "channels")}));
  infos.push_back(Fake(PluginKind::kDynamics, "rssm",
                       {IntParam("deter", 200, "deterministic size").Positive(),
                        FloatListParam("free_nats", {1.0}, "free nats")}));
  infos.push_back(Fake(PluginKind::kRewardLearner, "discriminator",
                       {FloatParam("instance_noise", 0.0, "noise std").Min(0)}));
  infos.push_back(Fake(PluginKind::kOptimizer, "bc", {FloatParam("lr", 3e-4, "learning rate")}));
  infos.back().Requires({"encoder"});
  infos.push_back(Fake(PluginKind::kOptimizer, "cmil",
                       {FloatParam("uncertainty_penalty", 1.0, "penalty").Min(0),
                        RequiredParam("horizon", ParamType::kInt, "imagination horizon")}));
  infos.back().Requires({"encoder", "dynamics", "reward"});
  registry.Add(std::move(infos), "fake.so");
  return registry;
}

// A minimal valid experiment (lines 1-9).
inline const char* kMinimal =
    "name = \"t\"\n"
    "[environment]\n"
    "kind = \"point_mass\"\n"
    "[demos]\n"
    "path = \"demos.h5\"\n"
    "[encoder]\n"
    "kind = \"mlp\"\n"
    "[optimizer]\n"
    "kind = \"bc\"\n";

// The message of the ConfigError `f` throws, or "<no error>"; checks that it is one printable
// line.
inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    std::string message = e.what();
    for (char c : message) {
      EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          << "control byte in message: " << message;
    }
    return message;
  }
  return "<no error>";
}

// Loads `path` with the fake registry.
inline Experiment Load(const std::string& path, std::vector<std::string> overrides = {},
                       std::vector<std::string> presets = {}) {
  static const Registry registry = FakeRegistry();
  return LoadExperiment({path, std::move(presets), std::move(overrides)}, registry);
}

}  // namespace imitate::engine::testing

#endif  // IMITATE_TESTS_ENGINE_CONFIG_CONFIG_TEST_UTIL_H_
