// A run directory before a run: finished, resumable or fresh, and the check that it holds the
// same experiment. (RunDirectory, ReadSummary and PrintResultTable, declared in runner.h, are
// defined beside it.)
#ifndef IMITATE_ENGINE_RUN_RUN_DIRECTORY_H_
#define IMITATE_ENGINE_RUN_RUN_DIRECTORY_H_

#include <cstdint>
#include <string>

#include "engine/config/experiment.h"
#include "engine/report/console.h"
#include "engine/run/runner.h"

namespace imitate::engine {

// What the run directory holds, as rank 0 found it (shared with the other ranks as an integer).
enum class RunStart : int64_t { kFailed = -1, kFresh = 0, kResume = 1, kFinished = 2 };

// Looks at `dir`: a finished run (`done` filled), a resumable one, or a fresh start (an
// unfinished directory without a checkpoint is moved aside). Throws ConfigError when a finished
// or resumable directory holds another configuration, naming the differing keys.
RunStart PrepareRunDirectory(const Experiment& experiment, const std::string& dir, Console& console,
                             RunResult* done);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_RUN_RUN_DIRECTORY_H_
