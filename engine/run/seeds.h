// Seed derivation: one master seed gives every other seed, by stream name and index.
#ifndef IMITATE_ENGINE_RUN_SEEDS_H_
#define IMITATE_ENGINE_RUN_SEEDS_H_

#include <cstdint>
#include <string_view>

namespace imitate::engine {

// A well-mixed 64-bit seed for (master, stream, index); distinct streams and indices give
// independent-looking seeds (FNV-1a of the stream name, then splitmix64 finalisers).
inline uint64_t DeriveSeed(uint64_t master, std::string_view stream, uint64_t index = 0) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : stream) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return mix(mix(mix(master) ^ h) ^ index);
}

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_SEEDS_H_
