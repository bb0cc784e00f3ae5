#include <gtest/gtest.h>

#include <set>
#include <string>

#include "engine/config/experiment.h"

namespace imitate::engine {
namespace {

TEST(SectionsTest, DemosSpecs) {
  const ParamSpecs& specs = DemosSpecs();
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].name, "path");
  EXPECT_FALSE(specs[0].default_value.has_value());  // required
  EXPECT_EQ(specs[1].name, "count");
  EXPECT_EQ(std::get<int64_t>(*specs[1].default_value), 0);
  EXPECT_NE(specs[1].Check(ParamValue(int64_t{-1})), "");
}

TEST(SectionsTest, ScheduleDefaultsAndRanges) {
  Params p = Params::Make("schedule", ScheduleSpecs());
  EXPECT_EQ(p.Int("pretrain_updates"), 0);
  EXPECT_EQ(p.Int("train_every"), 5);
  EXPECT_EQ(p.Int("eval_every"), 10000);
  EXPECT_EQ(p.Int("batch_size"), 32);
  EXPECT_EQ(p.Int("batch_length"), 50);
  EXPECT_EQ(p.Int("replay_capacity"), 2000000);
  std::set<std::string> names;
  for (const ParamSpec& spec : ScheduleSpecs()) {
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    if (spec.type == ParamType::kString) {
      EXPECT_FALSE(spec.choices.empty()) << spec.name;  // e.g. replay_windows
    } else if (spec.type != ParamType::kBool) {
      EXPECT_TRUE(spec.min.has_value()) << spec.name;
    }
    names.insert(spec.name);
  }
  EXPECT_EQ(names.size(), 16u);
  EXPECT_FALSE(p.Bool("keep_checkpoints"));  // only latest, latest.previous and best
  EXPECT_EQ(p.Int("checkpoint_every"), 0);   // checkpoints at evaluations only
  EXPECT_THROW(Params::Make("schedule", ScheduleSpecs(), {{"checkpoint_every", int64_t{-1}}}),
               ConfigError);
  EXPECT_EQ(p.String("replay_windows"), "uniform");  // the authors' sampling by default
  EXPECT_THROW(Params::Make("schedule", ScheduleSpecs(), {{"replay_windows", std::string("x")}}),
               ConfigError);
  EXPECT_THROW(Params::Make("schedule", ScheduleSpecs(), {{"batch_length", int64_t{1}}}),
               ConfigError);
  EXPECT_THROW(Params::Make("schedule", ScheduleSpecs(), {{"train_every", int64_t{0}}}),
               ConfigError);
}

}  // namespace
}  // namespace imitate::engine
