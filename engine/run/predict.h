// The world model's open-loop prediction diagnostic (`imitate eval RUN_DIR --predict`), the
// standard Dreamer check: filter the first steps of recorded sequences with their observations,
// then imagine the rest from the recorded actions alone, decode both and compare with the truth.
#ifndef IMITATE_ENGINE_RUN_PREDICT_H_
#define IMITATE_ENGINE_RUN_PREDICT_H_

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/episode.h"
#include "imitate/sdk/dynamics.h"
#include "imitate/sdk/encoder.h"

namespace imitate::engine {

// The default horizon is the rest of the shortest sequence, but at most this many steps.
constexpr int64_t kDefaultMaxHorizon = 50;

// What to predict and where the videos go.
struct PredictOptions {
  int64_t context = 5;    // steps filtered with the true observations (posterior)
  int64_t horizon = 0;    // open-loop steps after the context (resolved: >= 1)
  std::string video_dir;  // one mp4 and one png per sequence when set and the encoder decodes
                          // images
  int panel_size = 256;   // video panels: images scaled up by a whole factor to about this size
};

// Mean squared error per element of one decoded key at each open-loop step k = 1..H (index
// k - 1), averaged over the sequences, in the encoder's preprocessed units (Decode's).
struct KeyErrors {
  std::string key;
  std::vector<double> reconstruction;  // Decode(posterior filtered with every observation)
  std::vector<double> prediction;      // Decode(prior imagined from the last context state)
  std::vector<double> hold_last;       // the baseline "nothing moves": the last context truth
};

// The diagnostic's outcome.
struct PredictResult {
  int64_t sequences = 0;
  int64_t context = 0;
  int64_t horizon = 0;
  std::vector<KeyErrors> errors;      // one per decoded key
  std::vector<std::string> videos;    // the files written
  std::vector<std::string> pictures;  // demo_<i>.png: truth, reconstruction, imagination
};

// The open-loop horizon for `sequences` read from `source`: `requested` when > 0, else the
// rest of the shortest sequence after `context` steps, at most kDefaultMaxHorizon. Throws
// UsageError for a context < 1 and DataError naming `source` and the sequence when one is too
// short for the context (plus the requested horizon).
int64_t ResolveHorizon(const std::vector<Episode>& sequences, int64_t context, int64_t requested,
                       const std::string& source);

// The demos from step `start` on: every sequence sliced, its first step marked is_first with a
// zero action (the model starts afresh there). Throws DataError naming `source` and the demo
// when one has no step after `start`.
std::vector<Episode> FromStep(const std::vector<Episode>& sequences, int64_t start,
                              const std::string& source);

// Runs the diagnostic on the first context + horizon steps of every sequence (stacked into one
// batch on `device`, under torch::NoGradGuard). Action t is the one that led to observation t,
// so the imagined step to t takes action t. Videos show ground truth | reconstruction |
// imagination side by side, one frame per step, captioned context or imagined.
PredictResult PredictOpenLoop(Encoder& encoder, Dynamics& dynamics,
                              const std::vector<Episode>& sequences, const PredictOptions& options,
                              torch::Device device);

// Writes `path` (atomically): columns step,key,reconstruction_mse,prediction_mse,hold_last_mse,
// one row per open-loop step and key.
void WritePredictionCsv(const std::string& path, const PredictResult& result);

// A compact table of the errors: steps 1-5, then every 5th, the last and the mean over steps.
std::string FormatPredictionTable(const PredictResult& result);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_PREDICT_H_
