// Conversions between folders of Dreamer .npz episodes and robomimic HDF5 demo files, and the
// summary of a demo file that `imitate demos info` prints.
#ifndef IMITATE_ENGINE_DATA_DEMO_CONVERT_H_
#define IMITATE_ENGINE_DATA_DEMO_CONVERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/demo_file.h"
#include "imitate/sdk/spaces.h"

namespace imitate::engine {

// One demo of a demo file.
struct DemoSummary {
  std::string name;       // demo_K
  int64_t steps = 0;      // transitions T
  bool terminal = false;  // whether it ended in a terminal state
  Metrics metrics;        // its other numeric attributes (success, ...)
};

// What a demo file holds.
struct DemoFileSummary {
  DemoFileInfo info;
  ObservationSpace observations;  // the first demo's keys: storage dtype and per-step shape
  Space action;                   // the first demo's action dtype and shape [A]
  std::vector<DemoSummary> demos;
};

// Reads the summary of a demo file. Throws DataError naming the file when it is missing or
// not a demo file.
DemoFileSummary SummarizeDemos(const std::string& path);

// What a conversion did.
struct ConvertResult {
  int64_t count = 0;               // episodes
  int64_t steps = 0;               // transitions in all of them
  std::vector<std::string> notes;  // what was left out or assumed, "file: note" each
};

// Writes the Dreamer episodes `files` (in order) as the demos of a new demo file `out` for the
// environment `env_kind` with empty params. Throws DataError naming the episode file when it
// is unreadable, differs from the first episode in its keys, dtypes or shapes, or cannot be
// stored exactly (see RobomimicLoss); `out` then does not appear.
ConvertResult ConvertNpzToDemos(const std::vector<std::string>& files, const std::string& out,
                                const std::string& env_kind);

// Writes every demo of the demo file `path` as a Dreamer episode in the folder `out_dir`
// (episode_000000-<steps>.npz, ...), which must be new or empty. Throws DataError naming the
// file or folder.
ConvertResult ConvertDemosToNpz(const std::string& path, const std::string& out_dir);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DATA_DEMO_CONVERT_H_
