#include "engine/data/replay.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <random>
#include <set>
#include <vector>

#include "imitate/sdk/errors.h"
#include "tests/engine/data/data_test_util.h"

namespace imitate::engine {
namespace {

using testing::kAction;
using testing::kImage;
using testing::kState;
using testing::MakeEpisode;

// a buffer holding episodes 0..n-1 of lengths `lengths`
ReplayBuffer Filled(const std::vector<int64_t>& lengths, int64_t capacity = 1'000'000) {
  ReplayBuffer buffer(capacity);
  for (size_t i = 0; i < lengths.size(); ++i) {
    buffer.Add(MakeEpisode(static_cast<int64_t>(i), lengths[i]));
  }
  return buffer;
}

TEST(ReplayBufferTest, SampleShapesAndDtypes) {
  const ReplayBuffer buffer = Filled({20, 30});
  std::mt19937_64 rng(1);
  const Batch batch = buffer.Sample(16, 7, rng);
  EXPECT_EQ(batch.observation.at("pixels").sizes(),
            (std::vector<int64_t>{16, 7, kImage, kImage, 3}));
  EXPECT_EQ(batch.observation.at("pixels").scalar_type(), torch::kUInt8);
  EXPECT_EQ(batch.observation.at("state").sizes(), (std::vector<int64_t>{16, 7, kState}));
  EXPECT_EQ(batch.observation.at("state").scalar_type(), torch::kFloat32);
  EXPECT_EQ(batch.action.sizes(), (std::vector<int64_t>{16, 7, kAction}));
  EXPECT_EQ(batch.action.scalar_type(), torch::kFloat32);
  EXPECT_EQ(batch.reward.sizes(), (std::vector<int64_t>{16, 7}));
  for (const torch::Tensor& flag : {batch.is_first, batch.is_last, batch.is_terminal}) {
    EXPECT_EQ(flag.sizes(), (std::vector<int64_t>{16, 7}));
    EXPECT_EQ(flag.scalar_type(), torch::kBool);
  }
}

TEST(ReplayBufferTest, WindowsAreContiguousInsideOneEpisode) {
  const std::vector<int64_t> lengths = {3, 12, 5, 40, 8};
  const ReplayBuffer buffer = Filled(lengths);
  std::mt19937_64 rng(2);
  const int64_t length = 6;
  const Batch batch = buffer.Sample(256, length, rng);
  const torch::Tensor state = batch.observation.at("state");
  std::set<int64_t> seen;
  for (int64_t b = 0; b < 256; ++b) {
    // state = {episode id, step index}: one id, consecutive steps, inside the episode
    const int64_t id = static_cast<int64_t>(state[b][0][0].item<float>());
    const int64_t start = static_cast<int64_t>(state[b][0][1].item<float>());
    seen.insert(id);
    ASSERT_GE(lengths[id], length) << "sampled an episode shorter than the window";
    ASSERT_LE(start + length, lengths[id]);
    for (int64_t t = 0; t < length; ++t) {
      ASSERT_EQ(state[b][t][0].item<float>(), id);
      ASSERT_EQ(state[b][t][1].item<float>(), start + t);
      ASSERT_FLOAT_EQ(batch.reward[b][t].item<float>(), start + t);
      ASSERT_EQ(batch.is_first[b][t].item<bool>(), start + t == 0);
      ASSERT_EQ(batch.is_last[b][t].item<bool>(), start + t == lengths[id] - 1);
    }
    // pixels come from the same steps of the same episode
    const Episode& episode = buffer.episodes()[id];
    ASSERT_TRUE(torch::equal(batch.observation.at("pixels")[b],
                             episode.observation.at("pixels").narrow(0, start, length)));
    ASSERT_TRUE(torch::equal(batch.action[b], episode.action.narrow(0, start, length)));
  }
  // only the long enough episodes, and all of them
  EXPECT_EQ(seen, (std::set<int64_t>{1, 3, 4}));
}

// cover_ends: every step of an episode is equally likely to be inside a window, so the first
// steps (where demos act most) are sampled as often as the middle ones; uniform starts cover
// the first step only in the windows that start there.
TEST(ReplayBufferTest, CoverEndsSamplesTheFirstAndLastStepsAsOftenAsTheMiddle) {
  const int64_t episode_length = 40, length = 8, samples = 20000;
  auto coverage = [&](ReplayBuffer::WindowStart windows) {
    ReplayBuffer buffer(1000, windows);
    buffer.Add(MakeEpisode(0, episode_length));
    std::mt19937_64 rng(3);
    torch::Tensor steps = buffer.Sample(samples, length, rng).observation.at("state").select(2, 1);
    return torch::bincount(steps.flatten().to(torch::kLong), {}, episode_length)
               .to(torch::kDouble) /
           samples;
  };
  torch::Tensor ends = coverage(ReplayBuffer::WindowStart::kCoverEnds);
  torch::Tensor uniform = coverage(ReplayBuffer::WindowStart::kUniform);
  // each step's chance of being in a window: length / (L + length - 1) for every step
  const double expected = static_cast<double>(length) / (episode_length + length - 1);
  EXPECT_NEAR(ends[0].item<double>(), expected, 0.01);
  EXPECT_NEAR(ends[episode_length - 1].item<double>(), expected, 0.01);
  EXPECT_NEAR(ends[episode_length / 2].item<double>(), expected, 0.01);
  // uniform starts: the first step is in 1 / (L - length + 1) of the windows
  EXPECT_NEAR(uniform[0].item<double>(), 1.0 / (episode_length - length + 1), 0.01);
  EXPECT_LT(uniform[0].item<double>(), 0.2 * ends[0].item<double>());
}

TEST(ReplayBufferTest, EvictsTheOldestEpisodesBeyondCapacity) {
  ReplayBuffer buffer(25);
  for (int64_t i = 0; i < 3; ++i) buffer.Add(MakeEpisode(i, 10));
  EXPECT_EQ(buffer.Episodes(), 2);
  EXPECT_EQ(buffer.Steps(), 20);
  EXPECT_EQ(buffer.episodes()[0].observation.at("state")[0][0].item<float>(), 1);
  // an episode longer than the capacity replaces everything but stays
  buffer.Add(MakeEpisode(7, 40));
  EXPECT_EQ(buffer.Episodes(), 1);
  EXPECT_EQ(buffer.Steps(), 40);
  EXPECT_EQ(buffer.episodes()[0].observation.at("state")[0][0].item<float>(), 7);
}

TEST(ReplayBufferTest, SameSeedSameBatch) {
  const ReplayBuffer buffer = Filled({20, 30, 25});
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  std::mt19937_64 c(43);
  const Batch first = buffer.Sample(8, 5, a);
  const Batch second = buffer.Sample(8, 5, b);
  const Batch other = buffer.Sample(8, 5, c);
  EXPECT_TRUE(torch::equal(first.observation.at("pixels"), second.observation.at("pixels")));
  EXPECT_TRUE(torch::equal(first.observation.at("state"), second.observation.at("state")));
  EXPECT_TRUE(torch::equal(first.action, second.action));
  EXPECT_FALSE(torch::equal(first.observation.at("state"), other.observation.at("state")));
}

TEST(ReplayBufferTest, ClearErrorWhenNoEpisodeIsLongEnough) {
  const ReplayBuffer buffer = Filled({3, 4});
  std::mt19937_64 rng(0);
  try {
    buffer.Sample(2, 10, rng);
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "replay: cannot sample 2 windows of 10 steps: 2 episodes stored, the longest "
                 "has 4 steps");
  }
  EXPECT_THROW(ReplayBuffer(10).Sample(1, 1, rng), DataError);
}

TEST(ReplayBufferTest, RejectsInconsistentEpisodes) {
  ReplayBuffer buffer(100);
  buffer.Add(MakeEpisode(0, 5));
  Episode other_keys = MakeEpisode(1, 5);
  other_keys.observation.erase("pixels");
  EXPECT_THROW(buffer.Add(other_keys), DataError);
  Episode ragged = MakeEpisode(2, 5);
  ragged.reward = torch::zeros({4});
  EXPECT_THROW(buffer.Add(ragged), DataError);
}

}  // namespace
}  // namespace imitate::engine
