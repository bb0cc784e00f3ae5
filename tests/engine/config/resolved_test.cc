// ResolvedToml: the dump's shape, and that LoadExperiment reads it back to the same Experiment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/config/experiment.h"
#include "tests/engine/config/config_test_util.h"

namespace imitate::engine {
namespace {

using ::imitate::engine::testing::kMinimal;
using ::imitate::engine::testing::Load;
using ::imitate::engine::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

void ExpectSameParams(const Params& a, const Params& b) {
  EXPECT_EQ(a.path(), b.path());
  EXPECT_EQ(a.values(), b.values()) << a.path();
  for (const auto& [name, value] : a.values()) {
    EXPECT_EQ(a.IsDefault(name), b.IsDefault(name)) << a.path() << "." << name;
  }
}

void ExpectSameSection(const PluginSection& a, const PluginSection& b) {
  EXPECT_EQ(a.present, b.present);
  EXPECT_EQ(a.kind, b.kind);
  ExpectSameParams(a.params, b.params);
}

void ExpectSameExperiment(const Experiment& a, const Experiment& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.threads, b.threads);
  ExpectSameSection(a.environment, b.environment);
  ExpectSameSection(a.encoder, b.encoder);
  ExpectSameSection(a.dynamics, b.dynamics);
  ExpectSameSection(a.reward, b.reward);
  ExpectSameSection(a.optimizer, b.optimizer);
  ExpectSameParams(a.demos, b.demos);
  ExpectSameParams(a.schedule, b.schedule);
}

const char* kFull =
    "seed = 3\ndevice = \"cuda:1\"\nthreads = 2\n"
    "[environment]\nkind = \"point_mass\"\nmode = \"sparse\"\nsize = 1\n"
    "[demos]\npath = \"data/d \\\"q\\\".h5\"\ncount = 10\n"
    "[encoder]\nkind = \"mlp\"\nlayers = [1, 2, 3]\nhidden = 256\n"
    "[dynamics]\nkind = \"rssm\"\nfree_nats = [0.1, 3]\n"
    "[reward]\nkind = \"discriminator\"\ninstance_noise = 2.5\n"
    "[optimizer]\nkind = \"cmil\"\nhorizon = 15\nuncertainty_penalty = 1e-7\n"
    "[schedule]\nenv_steps = 200_000\nbatch_length = 2\n";

TEST(ResolvedTomlTest, Shape) {
  TempDir dir;
  Experiment e = Load(dir.Write("cmil.toml", kFull));
  std::string text = ResolvedToml(e, "gcc-12 abi1", "abc123");
  EXPECT_THAT(text, StartsWith("# resolved by imitate\n# fingerprint: gcc-12 abi1\n# git: "
                               "abc123\n# source: " +
                               e.path + "\n"));
  EXPECT_THAT(text, HasSubstr("\nname = \"cmil\"\nseed = 3\ndevice = \"cuda:1\"\nthreads = 2\n"));
  EXPECT_EQ(text.find("extends"), std::string::npos);
  // kind first, then params in declaration order, defaults marked
  EXPECT_THAT(text, HasSubstr("[environment]\nkind = \"point_mass\"\nsize = 1.0\n"
                              "max_steps = 100  # default\nmode = \"sparse\"\n"));
  EXPECT_THAT(text, HasSubstr("[encoder]\nkind = \"mlp\"\nhidden = 256\nlayers = [1, 2, 3]\n"));
  EXPECT_THAT(text, HasSubstr("[schedule]\npretrain_updates = 0  # default\n"));
  EXPECT_THAT(text, HasSubstr("env_steps = 200000\n"));
}

TEST(ResolvedTomlTest, AbsentOptionalTablesAreLeftOut) {
  TempDir dir;
  Experiment e = Load(dir.Write("a.toml", kMinimal));
  std::string text = ResolvedToml(e, "f", "g");
  EXPECT_EQ(text.find("[dynamics]"), std::string::npos);
  EXPECT_EQ(text.find("[reward]"), std::string::npos);
  EXPECT_THAT(text, HasSubstr("[schedule]\n"));
}

TEST(ResolvedTomlTest, RoundTrip) {
  TempDir dir;
  for (const char* source : {kFull, kMinimal}) {
    Experiment e = Load(dir.Write("exp.toml", source));
    std::string resolved = dir.Write("resolved.toml", ResolvedToml(e, "fp\nx", "rev"));
    Experiment back = Load(resolved);
    EXPECT_EQ(back.path, resolved);
    ExpectSameExperiment(e, back);
    // and the dump of the dump is the same text, but for the source line
    std::string first = ResolvedToml(e, "fp\nx", "rev");
    std::string again = ResolvedToml(back, "fp\nx", "rev");
    EXPECT_EQ(again.substr(again.find("\n\n")), first.substr(first.find("\n\n")));
  }
}

TEST(ResolvedTomlTest, RoundTripAfterOverridesAndDefaultsEqualToGiven) {
  TempDir dir;
  Experiment e = Load(dir.Write("exp.toml", kMinimal), {"schedule.train_every=5", "seed=7"});
  EXPECT_FALSE(e.schedule.IsDefault("train_every"));  // given, though equal to the default
  Experiment back = Load(dir.Write("r.toml", ResolvedToml(e, "f", "g")));
  ExpectSameExperiment(e, back);
}

}  // namespace
}  // namespace imitate::engine
