// `imitate demos`: run an expert in an environment and write the episodes as an HDF5 demo file.
#ifndef IMITATE_ENGINE_RUN_DEMOS_H_
#define IMITATE_ENGINE_RUN_DEMOS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/plugins/registry.h"
#include "engine/report/console.h"
#include "imitate/sdk/spaces.h"

namespace imitate::engine {

struct DemosRequest {
  std::string environment;             // registered environment name
  std::string expert;                  // registered expert name
  int64_t count = 10;                  // demos to write
  std::string out;                     // the .h5 file
  uint64_t seed = 0;                   // master seed of the episodes and the expert
  std::vector<std::string> overrides;  // "key=value" (environment params), "expert.key=value"
  std::string video_dir;               // when set: one video per demo in this folder
  int video_size = 256;                // video frames are video_size x video_size
};

struct DemosResult {
  int64_t count = 0;
  int64_t steps = 0;
  Metrics mean_metrics;  // means over the demos (return, length, success, ...)
};

// Makes the demos. Throws ConfigError for bad names or overrides, DataError for I/O problems;
// the output file appears only when every demo was written.
DemosResult MakeDemos(const DemosRequest& request, const Registry& registry, Console& console);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_DEMOS_H_
