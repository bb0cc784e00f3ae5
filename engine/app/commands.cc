#include "engine/app/commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "engine/checkpoint/checkpoint.h"
#include "engine/data/demo_convert.h"
#include "engine/data/demo_file.h"
#include "engine/data/npz.h"
#include "engine/distributed/c10d_collective.h"
#include "engine/distributed/launch_env.h"
#include "engine/distributed/launcher.h"
#include "engine/plugins/loader.h"
#include "engine/report/console.h"
#include "engine/report/episode_video.h"
#include "engine/run/agent.h"
#include "engine/run/collector.h"
#include "engine/run/predict.h"
#include "engine/run/runner.h"
#include "engine/run/seeds.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

// every plugin found on the search path
Registry LoadRegistry() {
  Registry registry;
  LoadPluginDirectories(PluginSearchPath(), registry);
  return registry;
}

// "integer in [1, 4096]" style description of one parameter
std::string DescribeParam(const ParamSpec& spec) {
  std::string def = spec.default_value ? ToToml(*spec.default_value) : "(required)";
  std::string constraint = spec.Constraint();
  return fmt::format("  {:<28} {:<18} {:<24} {}{}", spec.name, ParamTypeName(spec.type), def,
                     spec.doc, constraint.empty() ? "" : " [" + constraint + "]");
}

}  // namespace

int RunCommand(const RunArgs& args) {
  // a rank of a multi-process run when the launcher's variables say so
  const LaunchEnv launch = ReadLaunchEnv();
  Registry registry = LoadRegistry();
  Experiment experiment = LoadExperiment(args.source, registry);

  // --nproc N: the same command as N local ranks (the experiment is checked once, above)
  if (args.nproc > 1) {
    if (launch.distributed()) {
      throw UsageError(fmt::format("--nproc {}: this process is already rank {} of {} ({})",
                                   args.nproc, launch.rank, launch.world_size, launch.source));
    }
    LaunchOptions ranks;
    ranks.nproc = args.nproc;
    ranks.argv = {SelfExecutable()};
    std::vector<std::string> rest = WithoutOption(args.argv, "--nproc");
    if (!rest.empty()) ranks.argv.insert(ranks.argv.end(), rest.begin() + 1, rest.end());
    return LaunchLocalRanks(ranks);
  }

  // join the other ranks: their collective averages the optimisers' gradients
  std::unique_ptr<ScopedCollective> collective;
  if (launch.distributed()) {
    ConnectOptions connect;
    connect.timeout = DistributedTimeout();
    connect.backend = ParseDevice(experiment.device).is_cuda() && HaveNccl() ? "nccl" : "gloo";
    collective = std::make_unique<ScopedCollective>(ConnectRanks(launch, connect));
  }
  Console console(args.quiet || launch.rank != 0);
  RunOptions options;
  options.runs_root = args.runs_root;
  options.local_ranks = launch.local_world_size;
  RunResult result = RunExperiment(experiment, registry, options, console);
  if (launch.rank != 0) return 0;  // rank 0 reports
  PrintResultTable(
      fmt::format("{}: {} + {} on {} ({})", experiment.name, experiment.optimizer.kind,
                  experiment.encoder.kind, experiment.environment.kind, result.run_dir),
      result.final_eval, result.eval_episodes);
  return 0;
}

int ValidateCommand(const ExperimentSource& source) {
  Registry registry = LoadRegistry();
  Experiment e = LoadExperiment(source, registry);
  // the environment can be made, and the demos fit it (kind, keys, shapes, count)
  auto env = registry.Create<Environment>(e.environment.kind, e.environment.params);
  ReadDemos(e.demos.String("path"), e.demos.Int("count"), e.environment.kind,
            env->ObservationSpec());
  std::string parts = fmt::format("environment {}, encoder {}", e.environment.kind, e.encoder.kind);
  if (e.dynamics.present) parts += ", dynamics " + e.dynamics.kind;
  if (e.reward.present) parts += ", reward " + e.reward.kind;
  parts += ", optimizer " + e.optimizer.kind;
  std::printf("%s: ok (%s)\n", source.path.c_str(), parts.c_str());
  return 0;
}

int PluginsCommand(const std::string& name) {
  Registry registry = LoadRegistry();
  // without a name: every plugin, grouped by kind
  if (name.empty()) {
    PluginKind last = PluginKind::kOptimizer;
    bool first = true;
    for (const RegistryEntry* e : registry.All()) {
      if (first || e->info.kind != last)
        std::printf("%s%s:\n", first ? "" : "\n", PluginKindName(e->info.kind));
      first = false;
      last = e->info.kind;
      std::printf("  %-20s %s\n", e->info.name.c_str(), e->info.doc.c_str());
    }
    if (first)
      std::printf("no plugins found (searched: %s)\n",
                  fmt::format("{}", fmt::join(PluginSearchPath(), ":")).c_str());
    return 0;
  }
  // with a name ("point_mass" or "expert.point_mass"): its parameters
  std::vector<const RegistryEntry*> matches;
  std::vector<std::string> all_names;
  for (const RegistryEntry* e : registry.All()) {
    std::string dotted = std::string(PluginKindName(e->info.kind)) + "." + e->info.name;
    all_names.push_back(dotted);
    all_names.push_back(e->info.name);
    if (e->info.name == name || dotted == name) matches.push_back(e);
  }
  if (matches.empty()) {
    std::string hint = DidYouMean(name, all_names);
    throw ConfigError(fmt::format("no plugin named '{}'{}; run `imitate plugins` for the list",
                                  name, hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  for (const RegistryEntry* e : matches) {
    std::printf("%s.%s: %s\n  library: %s\n", PluginKindName(e->info.kind), e->info.name.c_str(),
                e->info.doc.c_str(), e->library.c_str());
    if (!e->info.requires_components.empty()) {
      std::printf("  requires: %s\n",
                  fmt::format("{}", fmt::join(e->info.requires_components, ", ")).c_str());
    }
    std::printf("  %-28s %-18s %-24s %s\n", "parameter", "type", "default", "doc");
    for (const ParamSpec& spec : e->info.params) std::printf("%s\n", DescribeParam(spec).c_str());
    std::printf("\n");
  }
  return 0;
}

int DemosCommand(const DemosRequest& request) {
  Registry registry = LoadRegistry();
  Console console;
  DemosResult result = MakeDemos(request, registry, console);
  std::vector<std::string> parts;
  for (const auto& [k, v] : result.mean_metrics) parts.push_back(fmt::format("{} {:.4g}", k, v));
  std::printf("wrote %lld demos (%lld steps) to %s: mean %s\n",
              static_cast<long long>(result.count), static_cast<long long>(result.steps),
              request.out.c_str(), fmt::format("{}", fmt::join(parts, ", ")).c_str());
  if (!request.video_dir.empty()) std::printf("videos in %s\n", request.video_dir.c_str());
  return 0;
}

int DemosConvertCommand(const DemosConvertArgs& args) {
  std::error_code error;
  if (!std::filesystem::exists(args.in, error)) {
    throw DataError(fmt::format("{}: no such file or folder", args.in));
  }
  // a folder (or one file) of .npz episodes becomes a demo file, a demo file a folder
  const bool from_npz = std::filesystem::is_directory(args.in, error) ||
                        std::filesystem::path(args.in).extension() == ".npz";
  ConvertResult result;
  if (from_npz) {
    const std::vector<std::string> files = std::filesystem::is_directory(args.in, error)
                                               ? ListNpzFiles(args.in)
                                               : std::vector<std::string>{args.in};
    result = ConvertNpzToDemos(files, args.out, args.env_kind);
  } else {
    result = ConvertDemosToNpz(args.in, args.out);
    const DemoFileInfo info = ReadDemoInfo(args.in);
    if (!info.env_params.empty() || info.env_kind != args.env_kind) {
      result.notes.push_back(fmt::format(
          "{}: .npz episodes do not record the environment; convert back with --env {}{}", args.in,
          info.env_kind.empty() ? "KIND" : info.env_kind,
          info.env_params.empty() ? "" : " (its params are not kept)"));
    }
  }
  for (const std::string& note : result.notes) std::printf("note: %s\n", note.c_str());
  std::printf("converted %lld episodes (%lld steps) from %s to %s\n",
              static_cast<long long>(result.count), static_cast<long long>(result.steps),
              args.in.c_str(), args.out.c_str());
  return 0;
}

int DemosInfoCommand(const std::string& path) {
  const DemoFileSummary s = SummarizeDemos(path);
  // the file
  std::printf("%s: %lld demos, %lld steps\n", path.c_str(), static_cast<long long>(s.info.count),
              static_cast<long long>(s.info.total));
  std::printf("environment: %s\n",
              s.info.env_kind.empty() ? "(not recorded)" : s.info.env_kind.c_str());
  std::string params;
  for (const char c : s.info.env_params)
    params += c == '\n' ? std::string("\n  ") : std::string(1, c);
  while (!params.empty() && (params.back() == ' ' || params.back() == '\n')) params.pop_back();
  std::printf("env params:%s\n", params.empty() ? " (none)" : ("\n  " + params).c_str());
  // observations and actions
  std::printf("observations:\n");
  const auto row = [](const std::string& key, const Space& space) {
    std::printf("  %-20s %-8s [%s]\n", key.c_str(), DtypeName(space.dtype).c_str(),
                fmt::format("{}", fmt::join(space.shape, ", ")).c_str());
  };
  for (const auto& [key, space] : s.observations) row(key, space);
  if (!s.demos.empty()) {
    std::printf("actions:\n");
    row("actions", s.action);
  }
  // one row per demo: length, ending and every metric any demo has
  std::set<std::string> metrics;
  for (const DemoSummary& demo : s.demos) {
    for (const auto& [name, value] : demo.metrics) metrics.insert(name);
  }
  std::string header = fmt::format("{:<12} {:>7} {:>8}", "demo", "steps", "terminal");
  for (const std::string& name : metrics) header += fmt::format(" {:>12}", name);
  std::printf("%s\n", header.c_str());
  for (const DemoSummary& demo : s.demos) {
    std::string line =
        fmt::format("{:<12} {:>7} {:>8}", demo.name, demo.steps, demo.terminal ? "yes" : "no");
    for (const std::string& name : metrics) {
      auto it = demo.metrics.find(name);
      line += it == demo.metrics.end() ? fmt::format(" {:>12}", "-")
                                       : fmt::format(" {:>12.6g}", it->second);
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

namespace {

constexpr int64_t kDefaultPredictDemos = 3;

// RUN_DIR/checkpoints/NAME; a name that is not a checkpoint of the run is a one-line error
// listing the ones it has.
std::string CheckpointPath(const std::string& run_dir, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  const bool plain = !name.empty() && name.find('/') == std::string::npos && name != "." &&
                     name != ".." && name.find(".tmp") == std::string::npos;
  std::error_code ignored;
  if (plain && fs::is_regular_file(dir / name, ignored)) return (dir / name).string();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ignored)) {
    const std::string file = entry.path().filename().string();
    const bool partial =
        file.find(".tmp") != std::string::npos || file.find(".previous") != std::string::npos;
    if (entry.is_regular_file(ignored) && !partial) names.push_back(file);
  }
  // by name, the kept ones by their number (update-500 before update-1000)
  auto split = [](const std::string& file) {
    const size_t digits = file.find_last_not_of("0123456789") + 1;
    const std::string tail = file.substr(digits);
    const bool number = !tail.empty() && tail.size() <= 18;  // fits in a long long
    return std::pair(file.substr(0, digits), number ? std::stoll(tail) : -1LL);
  };
  std::sort(names.begin(), names.end(),
            [&](const std::string& a, const std::string& b) { return split(a) < split(b); });
  throw UsageError(fmt::format("--checkpoint {}: {} holds no such checkpoint (it has: {})", name,
                               dir.string(),
                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

// `eval --predict`: the world model's open-loop predictions on demos, as a table, a CSV file
// and one video per demo
int EvalPredict(const EvalArgs& args, const Experiment& experiment, const Environment& env,
                Agent& agent, const Counters& counters, torch::Device device) {
  // the first N demos of the experiment's demo file (or --demos)
  const std::string path = args.demos.empty() ? experiment.demos.String("path") : args.demos;
  const int64_t wanted = args.episodes > 0 ? args.episodes : kDefaultPredictDemos;
  const int64_t count = std::min(wanted, ReadDemoInfo(path).count);
  if (count < 1) throw DataError(fmt::format("{}: holds no demos", path));
  if (count < wanted && args.episodes > 0) {
    std::printf("note: %s holds %lld demos; predicting all of them\n", path.c_str(),
                static_cast<long long>(count));
  }
  std::vector<Episode> demos =
      ReadDemos(path, count, experiment.environment.kind, env.ObservationSpec());
  if (args.start > 0) demos = FromStep(demos, args.start, path);

  // filter, imagine, decode; the sampling is seeded by the run's seed
  PredictOptions options;
  options.context = args.context;
  options.horizon = ResolveHorizon(demos, args.context, args.horizon, path);
  options.video_dir = args.run_dir + "/videos/predict-" + args.checkpoint;
  options.panel_size = args.video_size;
  torch::manual_seed(DeriveSeed(static_cast<uint64_t>(experiment.seed), "predict"));
  const PredictResult result =
      PredictOpenLoop(*agent.encoder, *agent.dynamics, demos, options, device);
  const std::string csv = args.run_dir + "/predict-" + args.checkpoint + ".csv";
  WritePredictionCsv(csv, result);

  // the table
  std::printf(
      "%s: checkpoint %s (update %lld): open-loop predictions on %lld demos of %s,%s context "
      "%lld, horizon %lld\n",
      args.run_dir.c_str(), args.checkpoint.c_str(), static_cast<long long>(counters.updates),
      static_cast<long long>(result.sequences), path.c_str(),
      args.start > 0 ? fmt::format(" from step {},", args.start).c_str() : "",
      static_cast<long long>(result.context), static_cast<long long>(result.horizon));
  std::printf(
      "mean squared error per element at open-loop step k (images u8/255 - 0.5, "
      "vectors as the encoder normalises them; hold-last: the last context observation "
      "repeated, the error of a model that predicts no motion)\n%s",
      FormatPredictionTable(result).c_str());
  std::printf("errors in %s\n", csv.c_str());
  if (!result.videos.empty()) std::printf("videos in %s\n", options.video_dir.c_str());
  return 0;
}

}  // namespace

int EvalCommand(const EvalArgs& args) {
  // rebuild the run's experiment from its resolved.toml
  std::string resolved = args.run_dir + "/resolved.toml";
  if (!std::filesystem::is_regular_file(resolved)) {
    throw ConfigError(fmt::format("{}: not a run directory (no resolved.toml)", args.run_dir));
  }
  Registry registry = LoadRegistry();
  Experiment experiment = LoadExperiment({resolved, {}, {}}, registry);
  if (args.predict && !experiment.dynamics.present) {
    throw ConfigError(
        fmt::format("--predict needs a world model: {} has no [dynamics] table", resolved));
  }
  auto env =
      registry.Create<Environment>(experiment.environment.kind, experiment.environment.params);
  torch::Device device = ParseDevice(experiment.device);
  Agent agent = BuildAgent(experiment, registry, env->ObservationSpec(), env->ActionSpec(), device,
                           DeriveSeed(static_cast<uint64_t>(experiment.seed), "agent"));
  std::string checkpoint = CheckpointPath(args.run_dir, args.checkpoint);
  Counters counters = LoadCheckpoint(checkpoint, agent).counters;
  if (args.predict) return EvalPredict(args, experiment, *env, agent, counters, device);

  // the same evaluation episodes as the run's own evaluations
  int64_t episodes = args.episodes > 0 ? args.episodes : experiment.schedule.Int("eval_episodes");
  Collector collector(*env, *agent.optimizer, ActMode::kEvaluate,
                      DeriveSeed(static_cast<uint64_t>(experiment.seed), "eval"));
  std::unique_ptr<EpisodeRecorder> recorder;
  if (args.video) {
    std::string dir = args.run_dir + "/videos/eval-" + args.checkpoint;
    recorder = std::make_unique<EpisodeRecorder>(dir, args.video_size);
    collector.SetObserver([&recorder](Environment& env, const TimeStep& step, int64_t episode) {
      if (step.is_first) {
        recorder->Begin(episode, env, step);
      } else {
        recorder->Add(env, step);
      }
    });
  }
  std::vector<EpisodeResult> results;
  Console console;
  for (int64_t i = 0; i < episodes; ++i) {
    results.push_back(collector.RunEpisode());
    console.Progress("eval", i + 1, episodes, "");
  }
  console.EndProgress();
  PrintResultTable(fmt::format("{}: checkpoint {} (update {}, env step {})", args.run_dir,
                               args.checkpoint, counters.updates, counters.env_steps),
                   Summarize(results), episodes);
  if (recorder)
    std::printf("videos in %s/videos/eval-%s\n", args.run_dir.c_str(), args.checkpoint.c_str());
  return 0;
}

}  // namespace imitate::engine
