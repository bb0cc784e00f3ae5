// Demonstrations in robomimic's HDF5 layout:
//
//   /data                      attrs: env_kind, env_params (TOML), total, imitate_version
//   /data/demo_K/obs/<key>     observations 0..T-1      (uint8 images, float32 vectors)
//   /data/demo_K/next_obs/<key> observations 1..T
//   /data/demo_K/actions       [T, A] float32: actions[t] is taken at obs[t]
//   /data/demo_K/rewards       [T] float32
//   /data/demo_K/dones         [T] uint8 (1 at the last step)
//   /data/demo_K               attrs: num_samples, and the episode's metrics (success, ...)
//
// Episodes convert to and from the engine's Dreamer-convention Episode.
#ifndef IMITATE_ENGINE_DATA_DEMO_FILE_H_
#define IMITATE_ENGINE_DATA_DEMO_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/data/episode.h"
#include "imitate/sdk/params.h"

namespace imitate::engine {

// The file-level facts of a demo file.
struct DemoFileInfo {
  std::string env_kind;    // registered environment name
  std::string env_params;  // the environment's resolved params as a TOML table body
  int64_t count = 0;       // number of demos
  int64_t total = 0;       // number of transitions
};

// Writes demos one at a time; the file is written to `path`.tmp and renamed on Close so a
// failed run never leaves a half-written file under the final name.
class DemoWriter {
 public:
  DemoWriter(const std::string& path, const std::string& env_kind, const Params& env_params);
  ~DemoWriter();
  void Add(const Episode& episode);
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads the file facts. Throws DataError for a missing, unreadable or non-demo file.
DemoFileInfo ReadDemoInfo(const std::string& path);

// Reads the first `count` demos (0 = all). Throws DataError naming the file when it is
// missing or corrupt, was made for another environment kind than `env_kind`, lacks one of
// `keys`, or its observation shapes differ from `space`.
std::vector<Episode> ReadDemos(const std::string& path, int64_t count, const std::string& env_kind,
                               const ObservationSpace& space);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DATA_DEMO_FILE_H_
