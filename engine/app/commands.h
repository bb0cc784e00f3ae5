// The `imitate` subcommands. Each returns the process exit code and throws imitate::Error
// subclasses for user errors (main turns them into one line on stderr and exit code 1).
#ifndef IMITATE_ENGINE_APP_COMMANDS_H_
#define IMITATE_ENGINE_APP_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/experiment.h"
#include "engine/run/demos.h"

namespace imitate::engine {

struct RunArgs {
  ExperimentSource source;
  std::string runs_root = "runs";
  bool quiet = false;
  int nproc = 1;                  // > 1: start this many local ranks (data-parallel)
  std::vector<std::string> argv;  // the command line, for the ranks --nproc starts
};

struct EvalArgs {
  std::string run_dir;
  int64_t episodes = 0;  // 0: the experiment's schedule.eval_episodes
  std::string checkpoint = "latest";
  bool video = false;    // write every episode to RUN_DIR/videos/eval-<checkpoint>/
  int video_size = 256;  // video frame size (--predict: the size of each panel)
  // --predict: the world model's open-loop predictions on the first `episodes` demos (default
  // 3) instead of evaluation episodes
  bool predict = false;
  int64_t start = 0;    // demo step the sequences start at
  int64_t context = 5;  // steps filtered with the true observations
  int64_t horizon = 0;  // open-loop steps after them; 0: to the demo's end, at most 50
  std::string demos;    // demo file; empty: the experiment's [demos] path
};

// `imitate demos convert IN OUT`: a folder of Dreamer .npz episodes (or one .npz file) to an
// HDF5 demo file for `env_kind`, or an HDF5 demo file to a folder of .npz episodes.
struct DemosConvertArgs {
  std::string in;
  std::string out;
  std::string env_kind = "kitchen";
};

// `imitate batch FILE`: run (or --list, or write a Slurm script for) an ablation batch.
struct BatchArgs {
  std::string file;
  std::string runs_root = "runs";
  int64_t jobs = 1;
  bool list = false;
  std::string slurm;              // write this Slurm array script instead of running
  bool no_report = false;         // skip the report at the end
  std::vector<std::string> only;  // run only the points whose names contain one of these
};

// `imitate report DIR...`: tables and learning curves of the runs under DIRs.
struct ReportArgs {
  std::vector<std::string> dirs;
  std::string out;  // default: <first dir>/report
  std::vector<std::string> metrics;
  bool plots = true;
};

int RunCommand(const RunArgs& args);
int BatchCommand(const BatchArgs& args);
int ReportCommand(const ReportArgs& args);
int ValidateCommand(const ExperimentSource& source);
int PluginsCommand(const std::string& name);
int DemosCommand(const DemosRequest& request);
int DemosConvertCommand(const DemosConvertArgs& args);
int DemosInfoCommand(const std::string& path);
int EvalCommand(const EvalArgs& args);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_APP_COMMANDS_H_
