// NumPy .npz archives and Dreamer-style episode files, read and written without Python.
//
// A Dreamer episode file of L steps holds:
//   image        uint8   [L, H, W, 3]  the observation `pixels`
//   <key>        any     [L, ...]      other observations (e.g. `state`), under their names
//   action       float32 [L, A]        action[t] led to observation t (action[0] is zero)
//   reward       float32 [L]           reward[t] came with observation t (reward[0] is zero)
//   is_first, is_last, is_terminal     bool [L]
//   log_<metric> float64 []            the episode's metrics (imitate's addition; Dreamer's
//                                      loaders skip `log_` keys)
// Older files with `discount` [L] instead of `is_terminal` are read too (terminal where the
// discount is zero).
#ifndef IMITATE_ENGINE_DATA_NPZ_H_
#define IMITATE_ENGINE_DATA_NPZ_H_

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/data/episode.h"

namespace imitate::engine {

// The arrays of an .npz file, by name (without ".npy"), in archive order.
using NpzArrays = std::vector<std::pair<std::string, torch::Tensor>>;

// Reads every array of an .npz file (stored or deflated). Throws DataError naming the file
// when it is missing, not a zip archive, corrupt, or holds an unsupported array.
NpzArrays ReadNpz(const std::string& path);

// Writes `arrays` as an .npz file that numpy.load opens (deflated like np.savez_compressed
// when `compress`). Throws DataError naming the file when it cannot be written.
void WriteNpz(const std::string& path, const NpzArrays& arrays, bool compress = true);

// A Dreamer episode and what reading it left out or assumed, one sentence each.
struct NpzEpisode {
  Episode episode;
  std::vector<std::string> notes;
};

// Reads a Dreamer episode file. Throws DataError naming the file when it lacks `action`, or
// an array has the wrong dtype or length.
NpzEpisode ReadNpzEpisode(const std::string& path);

// Writes `episode` as a Dreamer episode file (deflated). Throws DataError naming the file.
void WriteNpzEpisode(const std::string& path, const Episode& episode);

// What storing `episode` as a robomimic demo would lose ("" when nothing): the layout has no
// room for a nonzero action[0] or reward[0], is_first past step 0, is_last missing at the end,
// or is_terminal before the end.
std::string RobomimicLoss(const Episode& episode);

// The .npz files directly inside `dir`, sorted by file name. Throws DataError naming the
// folder when it is missing or holds none.
std::vector<std::string> ListNpzFiles(const std::string& dir);

// The file name of episode `index` with `steps` steps after the reset (L - 1, as Dreamer's
// file names count them): "episode_000003-280.npz".
std::string NpzEpisodeName(int64_t index, int64_t steps);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_DATA_NPZ_H_
