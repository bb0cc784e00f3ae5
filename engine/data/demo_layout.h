// The robomimic layout of one demo file, below the public demo_file.h API. Internal to
// engine/data: functions throw h5::Failure with a message that leaves out the file name.
#ifndef IMITATE_ENGINE_DATA_DEMO_LAYOUT_H_
#define IMITATE_ENGINE_DATA_DEMO_LAYOUT_H_

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/episode.h"
#include "engine/data/hdf5.h"

namespace imitate::engine {

// An open demo file: its /data group, file attributes and demo names in numeric order.
struct DemoSource {
  h5::Handle file;
  h5::Handle data;
  std::string env_kind;            // "" when the file does not say (e.g. robomimic's own files)
  std::string env_params;          // "" when the file does not say
  int64_t total = 0;               // transitions in all demos
  std::vector<std::string> demos;  // demo_0, demo_1, ... sorted by their number
};

// Opens `path` and reads its file-level facts.
DemoSource OpenDemoSource(const std::string& path);

// Writes `episode` (Dreamer convention, L >= 2 steps) as the robomimic group `data`/`name`.
void WriteDemo(hid_t data, const std::string& name, const Episode& episode);

// Reads the group `data`/`name` as an Episode with the keys of `space`, checking shapes.
Episode ReadDemo(hid_t data, const std::string& name, const ObservationSpace& space);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DATA_DEMO_LAYOUT_H_
