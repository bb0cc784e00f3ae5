#include "engine/run/seeds.h"

#include <gtest/gtest.h>

#include <set>

namespace imitate::engine {
namespace {

TEST(DeriveSeedTest, DeterministicAndDistinct) {
  EXPECT_EQ(DeriveSeed(0, "eval", 3), DeriveSeed(0, "eval", 3));
  std::set<uint64_t> seen;
  for (uint64_t master : {0, 1, 2}) {
    for (const char* stream : {"eval", "train", "agent", "torch"}) {
      for (uint64_t i = 0; i < 50; ++i) seen.insert(DeriveSeed(master, stream, i));
    }
  }
  EXPECT_EQ(seen.size(), 3u * 4u * 50u);
}

TEST(DeriveSeedTest, NeighbouringMastersDifferInManyBits) {
  uint64_t a = DeriveSeed(0, "eval"), b = DeriveSeed(1, "eval");
  EXPECT_GT(__builtin_popcountll(a ^ b), 16);
}

}  // namespace
}  // namespace imitate::engine
