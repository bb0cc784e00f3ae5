// The composition root: parses the command line and hands each subcommand its arguments.
// Exit codes: 0 success, 1 user error (one line on stderr), 2 internal error.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "engine/app/commands.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/version.h"

namespace {

// first line of a message: user errors are one line
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "imitate: error: %s\n", FirstLine(message).c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using imitate::engine::DemosRequest;
  using imitate::engine::EvalArgs;
  using imitate::engine::ExperimentSource;
  using imitate::engine::RunArgs;

  CLI::App app{"imitate: imitation learning with world models (CMIL, V-MAIL, BC)", "imitate"};
  app.set_version_flag("--version", IMITATE_SDK_VERSION);
  app.require_subcommand(1);

  // run
  RunArgs run;
  auto* run_cmd = app.add_subcommand("run",
                                     "Run an experiment (resumes nothing yet; a finished "
                                     "run is reported, not repeated)");
  run_cmd->add_option("file", run.source.path, "Experiment TOML file")->required();
  run_cmd->add_option("--set", run.source.overrides, "Override a value: key.path=value (TOML)");
  run_cmd->add_option("--preset", run.source.presets, "Apply experiments/presets/NAME.toml");
  run_cmd->add_option("--runs-dir", run.runs_root, "Root of run directories")->default_val("runs");
  run_cmd->add_flag("--quiet", run.quiet, "No progress output");

  // validate
  ExperimentSource validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check an experiment file without running");
  validate_cmd->add_option("file", validate.path, "Experiment TOML file")->required();
  validate_cmd->add_option("--set", validate.overrides, "Override a value: key.path=value");
  validate_cmd->add_option("--preset", validate.presets, "Apply a preset");

  // plugins
  std::string plugin_name;
  auto* plugins_cmd = app.add_subcommand("plugins", "List plugins, or one plugin's parameters");
  plugins_cmd->add_option("name", plugin_name, "Plugin name (or kind.name)");

  // demos
  DemosRequest demos;
  auto* demos_cmd = app.add_subcommand("demos", "Make expert demonstrations (HDF5)");
  demos_cmd->add_option("environment", demos.environment, "Environment name")->required();
  demos_cmd->add_option("--expert", demos.expert, "Expert name")->required();
  demos_cmd->add_option("--count", demos.count, "Number of demos")->default_val(10);
  demos_cmd->add_option("--out", demos.out, "Output .h5 file")->required();
  demos_cmd->add_option("--seed", demos.seed, "Master seed")->default_val(0);
  demos_cmd->add_option("--set", demos.overrides,
                        "Environment parameter key=value, or expert.key=value");

  // eval
  EvalArgs eval;
  auto* eval_cmd = app.add_subcommand("eval", "Evaluate a run's checkpoint");
  eval_cmd->add_option("run_dir", eval.run_dir, "Run directory (runs/<name>/<seed>)")->required();
  eval_cmd->add_option("--episodes", eval.episodes, "Episodes (default: the experiment's)")
      ->check(CLI::PositiveNumber);
  eval_cmd->add_option("--checkpoint", eval.checkpoint, "latest or best")
      ->check(CLI::IsMember({"latest", "best"}));

  // parse, then dispatch; errors become exit codes
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 1;
  }
  try {
    if (*run_cmd) return imitate::engine::RunCommand(run);
    if (*validate_cmd) return imitate::engine::ValidateCommand(validate);
    if (*plugins_cmd) return imitate::engine::PluginsCommand(plugin_name);
    if (*demos_cmd) return imitate::engine::DemosCommand(demos);
    if (*eval_cmd) return imitate::engine::EvalCommand(eval);
  } catch (const imitate::InternalError& e) {
    return Fail(2, std::string("internal error: ") + e.what());
  } catch (const imitate::Error& e) {
    return Fail(1, e.what());
  } catch (const c10::Error& e) {
    return Fail(2, std::string("internal error (LibTorch): ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Fail(2, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(2, "internal error: unknown exception");
  }
  return 1;
}
