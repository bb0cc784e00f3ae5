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
};

struct EvalArgs {
  std::string run_dir;
  int64_t episodes = 0;  // 0: the experiment's schedule.eval_episodes
  std::string checkpoint = "latest";
};

int RunCommand(const RunArgs& args);
int ValidateCommand(const ExperimentSource& source);
int PluginsCommand(const std::string& name);
int DemosCommand(const DemosRequest& request);
int EvalCommand(const EvalArgs& args);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_APP_COMMANDS_H_
