// The composition root: parses the command line and hands each subcommand its arguments.
// Exit codes: 0 success, 1 user error (one line on stderr), 2 internal error.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "engine/app/commands.h"
#include "engine/distributed/launch_env.h"
#include "engine/run/blas_kernels.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/version.h"

namespace {

// first line of a message: user errors are one line
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

int Fail(int code, const std::string& message) {
  // a rank of a multi-process run says which
  std::string prefix;
  try {
    prefix = imitate::engine::RankPrefix(imitate::engine::ReadLaunchEnv());
  } catch (const std::exception&) {
  }
  std::fprintf(stderr, "%simitate: error: %s\n", prefix.c_str(), FirstLine(message).c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  imitate::engine::UseFastBlasKernels(argv);
  using imitate::engine::DemosConvertArgs;
  using imitate::engine::DemosRequest;
  using imitate::engine::EvalArgs;
  using imitate::engine::ExperimentSource;
  using imitate::engine::RunArgs;

  CLI::App app{"imitate: imitation learning with world models (CMIL, V-MAIL, BC)", "imitate"};
  app.set_version_flag("--version", IMITATE_SDK_VERSION);
  app.require_subcommand(1);

  // run
  RunArgs run;
  auto* run_cmd = app.add_subcommand(
      "run",
      "Run an experiment (an unfinished run directory resumes from its checkpoint; a finished "
      "run is reported, not repeated)");
  run_cmd->add_option("file", run.source.path, "Experiment TOML file")->required();
  run_cmd->add_option("--set", run.source.overrides, "Override a value: key.path=value (TOML)");
  run_cmd->add_option("--preset", run.source.presets, "Apply experiments/presets/NAME.toml");
  run_cmd->add_option("--runs-dir", run.runs_root, "Root of run directories")->default_val("runs");
  run_cmd->add_flag("--quiet", run.quiet, "No progress output");
  run_cmd
      ->add_option("--nproc", run.nproc,
                   "Train on N local processes (data-parallel ranks; see README, Across processes)")
      ->default_val(1)
      ->check(CLI::Range(1, 1024));
  run.argv.assign(argv, argv + argc);

  // batch
  imitate::engine::BatchArgs batch;
  auto* batch_cmd = app.add_subcommand(
      "batch",
      "Run an ablation batch (grid x seeds), each run its own process; ends with a report");
  batch_cmd->add_option("file", batch.file, "Batch TOML file")->required();
  batch_cmd->add_option("-j,--jobs", batch.jobs, "Runs at a time")
      ->default_val(1)
      ->check(CLI::Range(1, 1024));
  batch_cmd->add_flag("--list", batch.list, "Print every run it expands to, without running");
  batch_cmd->add_option("--slurm", batch.slurm,
                        "Write a Slurm array script to this file instead of running");
  batch_cmd->add_option("--runs-dir", batch.runs_root, "Root of run directories")
      ->default_val("runs");
  batch_cmd->add_flag("--no-report", batch.no_report, "Skip the report at the end");
  batch_cmd->add_option("--only", batch.only,
                        "Run only the points whose names contain this text (repeatable)");

  // report
  imitate::engine::ReportArgs report;
  auto* report_cmd = app.add_subcommand(
      "report", "Aggregate runs across seeds: a table (markdown, CSV) and learning-curve plots");
  report_cmd->add_option("dirs", report.dirs, "Run directories, or folders holding them")
      ->required();
  report_cmd->add_option("--out", report.out, "Output folder (default: <first dir>/report)");
  report_cmd->add_option("--metric", report.metrics,
                         "Metric to report (repeatable; default: tasks_completed, success, "
                         "return where present); NAME:min when lower is better");
  bool no_plots = false;
  report_cmd->add_flag("--no-plots", no_plots, "Tables only (no gnuplot)");

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

  // demos (making them), with the subcommands convert and info; ENV, --expert and --out are
  // checked in code since a subcommand needs none of them
  DemosRequest demos;
  auto* demos_cmd = app.add_subcommand("demos",
                                       "Make expert demonstrations (HDF5), or convert "
                                       "and inspect demo files");
  demos_cmd->require_subcommand(0, 1);
  demos_cmd->add_option("environment", demos.environment, "Environment name");
  demos_cmd->add_option("--expert", demos.expert, "Expert name");
  demos_cmd->add_option("--count", demos.count, "Number of demos")->default_val(10);
  demos_cmd->add_option("--out", demos.out, "Output .h5 file");
  demos_cmd->add_option("--seed", demos.seed, "Master seed")->default_val(0);
  demos_cmd->add_option("--video", demos.video_dir, "Write each demo as a video into this folder");
  demos_cmd->add_option("--video-size", demos.video_size, "Video frame size in pixels")
      ->default_val(256)
      ->check(CLI::Range(16, 2048));
  demos_cmd->add_option("--set", demos.overrides,
                        "Environment parameter key=value, or expert.key=value");
  DemosConvertArgs convert;
  auto* convert_cmd = demos_cmd->add_subcommand(
      "convert", "Convert a folder of Dreamer .npz episodes to an HDF5 demo file, or back");
  convert_cmd->add_option("in", convert.in, "Folder of .npz episodes, or an .h5 demo file")
      ->required();
  convert_cmd->add_option("out", convert.out, "The .h5 demo file, or a new folder of .npz files")
      ->required();
  convert_cmd->add_option("--env", convert.env_kind, "Environment kind of a new demo file")
      ->default_val("kitchen");
  std::string info_path;
  auto* info_cmd = demos_cmd->add_subcommand("info", "Describe an HDF5 demo file");
  info_cmd->add_option("file", info_path, "The .h5 demo file")->required();

  // eval
  EvalArgs eval;
  auto* eval_cmd = app.add_subcommand("eval", "Evaluate a run's checkpoint");
  eval_cmd->add_option("run_dir", eval.run_dir, "Run directory (runs/<name>/<seed>)")->required();
  eval_cmd
      ->add_option("--episodes", eval.episodes,
                   "Episodes (default: the experiment's; with --predict: demos, default 3)")
      ->check(CLI::PositiveNumber);
  eval_cmd->add_flag("--video", eval.video, "Write each episode as a video into RUN_DIR/videos/");
  eval_cmd
      ->add_option("--video-size", eval.video_size,
                   "Video frame size in pixels (with --predict: of each panel)")
      ->default_val(256)
      ->check(CLI::Range(16, 2048));
  eval_cmd->add_option("--checkpoint", eval.checkpoint,
                       "latest, best, or a kept one (update-<U>, step-<S>: keep_checkpoints)");
  // eval --predict: the world model's open-loop predictions on demos
  auto* predict_flag = eval_cmd->add_flag(
      "--predict", eval.predict,
      "Instead of episodes: the world model's open-loop predictions on demos (errors per step "
      "in RUN_DIR/predict-<checkpoint>.csv, videos in RUN_DIR/videos/predict-<checkpoint>/)");
  eval_cmd
      ->add_option("--start", eval.start,
                   "--predict: demo step the sequences start at (default 0: the reset)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber)
      ->needs(predict_flag);
  eval_cmd->add_option("--context", eval.context, "--predict: steps filtered before imagining")
      ->default_val(5)
      ->check(CLI::PositiveNumber)
      ->needs(predict_flag);
  eval_cmd
      ->add_option("--horizon", eval.horizon,
                   "--predict: open-loop steps (default: to the demo's end, at most 50)")
      ->check(CLI::PositiveNumber)
      ->needs(predict_flag);
  eval_cmd->add_option("--demos", eval.demos, "--predict: demo file (default: the experiment's)")
      ->needs(predict_flag);

  // parse, then dispatch; errors become exit codes
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // usage errors are user errors: one line, with a pointer to --help
    return Fail(1, std::string(e.what()) + " (see --help)");
  }
  try {
    if (*run_cmd) return imitate::engine::RunCommand(run);
    if (*batch_cmd) return imitate::engine::BatchCommand(batch);
    if (*report_cmd) {
      report.plots = !no_plots;
      return imitate::engine::ReportCommand(report);
    }
    if (*validate_cmd) return imitate::engine::ValidateCommand(validate);
    if (*plugins_cmd) return imitate::engine::PluginsCommand(plugin_name);
    if (*convert_cmd) return imitate::engine::DemosConvertCommand(convert);
    if (*info_cmd) return imitate::engine::DemosInfoCommand(info_path);
    if (*demos_cmd) {
      if (demos.environment.empty()) {
        return Fail(1, "demos: ENV is required (or use `imitate demos convert|info`)");
      }
      if (demos.expert.empty()) return Fail(1, "demos: --expert is required");
      if (demos.out.empty()) return Fail(1, "demos: --out is required");
      return imitate::engine::DemosCommand(demos);
    }
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
