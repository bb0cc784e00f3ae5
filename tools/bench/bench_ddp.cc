// bench_ddp: updates per second of one run trained by 1 vs N data-parallel ranks (processes on
// this machine, gradients averaged through the c10d Gloo collective), as JSON lines.
//
//   build/bin/bench_ddp [--ranks 1,2] [--preset state|small] [--part world_model|full]
//                       [--updates N] [--warmup N] [--threads N]
//
// For each rank count it starts that many ranks of itself (the launcher of `imitate run
// --nproc`); each builds the Kitchen CMIL agent of the preset (as bench_update does) and times
// `--updates` updates on random batches of the preset's size, one per rank, so that the
// combined batch is ranks x batch. `--threads` (default: every core) is shared by the ranks.
// Rank 0 prints one line per rank count: updates/s (of the run: every rank does each update),
// and samples/s (updates/s x batch x ranks: the throughput of the combined batch).
#include <fmt/format.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config/experiment.h"
#include "engine/distributed/c10d_collective.h"
#include "engine/distributed/launch_env.h"
#include "engine/distributed/launcher.h"
#include "engine/distributed/sync.h"
#include "engine/run/agent.h"
#include "engine/run/blas_kernels.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "tools/bench/bench_plugins.h"

namespace imitate::bench {
namespace {

namespace fs = std::filesystem;

struct Args {
  std::string ranks = "1,2";
  std::string preset = "state";
  std::string part = "full";
  int updates = 20;
  int warmup = 3;
  int threads = 0;
};

// One rank: build, warm up, time; rank 0 prints the line.
int RunRank(const Args& args) {
  const engine::LaunchEnv launch = engine::ReadLaunchEnv();
  std::unique_ptr<engine::ScopedCollective> collective;
  if (launch.distributed()) {
    engine::ConnectOptions connect;
    connect.timeout = std::chrono::minutes(5);
    collective = std::make_unique<engine::ScopedCollective>(engine::ConnectRanks(launch, connect));
  }
  const char* root_env = std::getenv("IMITATE_SOURCE_DIR");
  fs::path root =
      root_env != nullptr && *root_env != '\0' ? fs::path(root_env) : fs::path(IMITATE_SOURCE_DIR);
  fs::path dir = root / "experiments" / "kitchen";
  engine::ExperimentSource source;
  if (args.preset == "state") {
    source = {(dir / "cmil_state.toml").string(), {"small"}, {}};
  } else if (args.preset == "small") {
    source = {(dir / "cmil.toml").string(), {"small"}, {}};
  } else {
    throw UsageError("--preset: '" + args.preset + "' is not one of state, small");
  }
  engine::Experiment e = engine::LoadExperiment(source, Plugins());
  torch::set_num_threads(engine::ThreadsPerRank(args.threads, launch));
  torch::manual_seed(static_cast<uint64_t>(launch.rank));
  torch::Device device = torch::kCPU;
  auto env = Plugins().Create<Environment>(e.environment.kind, e.environment.params);
  engine::Agent agent = engine::BuildAgent(e, Plugins(), env->ObservationSpec(), env->ActionSpec(),
                                           device, /*seed=*/0);
  std::unique_ptr<Optimizer> model_only;
  if (args.part == "world_model") {
    model_only = CreatePlugin<Optimizer>("world_model", "optimizer");
    model_only->Build(AgentComponents{env->ObservationSpec(), env->ActionSpec(),
                                      agent.encoder.get(), agent.dynamics.get(), nullptr, device,
                                      0});
  } else if (args.part != "full") {
    throw UsageError("--part: '" + args.part + "' is not one of world_model, full");
  }
  Optimizer& optimizer = model_only ? *model_only : *agent.optimizer;
  const int64_t b = e.schedule.Int("batch_size"), t = e.schedule.Int("batch_length");
  const int64_t actions = env->ActionSpec().Size();
  Batch replay = RandomBatch(env->ObservationSpec(), actions, b, t);
  Batch expert = RandomBatch(env->ObservationSpec(), actions, b, t);

  // warm-up, then all ranks start the clock together
  for (int i = 0; i < args.warmup; ++i) optimizer.Update(Phase::kOnline, replay, expert);
  if (Collective* c = GetCollective()) engine::BroadcastInt(*c, 0);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < args.updates; ++i) optimizer.Update(Phase::kOnline, replay, expert);
  if (Collective* c = GetCollective()) engine::BroadcastInt(*c, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (launch.rank != 0) return 0;
  const double updates_per_s = args.updates / seconds;
  const double samples_per_s = updates_per_s * static_cast<double>(b * launch.world_size);
  std::printf(
      "{\"bench\": \"ddp\", \"preset\": \"%s\", \"part\": \"%s\", \"ranks\": %d, "
      "\"threads_per_rank\": %d, \"batch_per_rank\": [%lld, %lld], \"updates\": %d, "
      "\"seconds_per_update\": %.4f, \"updates_per_s\": %.3f, \"samples_per_s\": %.1f, "
      "\"backend\": \"%s\"}\n",
      args.preset.c_str(), args.part.c_str(), launch.world_size, torch::get_num_threads(),
      static_cast<long long>(b), static_cast<long long>(t), args.updates, seconds / args.updates,
      updates_per_s, samples_per_s, launch.distributed() ? "gloo" : "none");
  std::fflush(stdout);
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"Updates per second of 1 vs N data-parallel ranks (JSON lines)"};
  Args args;
  app.add_option("--ranks", args.ranks, "rank counts to time, comma-separated")
      ->capture_default_str();
  app.add_option("--preset", args.preset, "state or small (Kitchen CMIL, --preset small)")
      ->capture_default_str();
  app.add_option("--part", args.part, "full (a CMIL update) or world_model")->capture_default_str();
  app.add_option("--updates", args.updates, "timed updates")->capture_default_str();
  app.add_option("--warmup", args.warmup, "untimed updates first")->capture_default_str();
  app.add_option("--threads", args.threads, "torch threads in all, shared by the ranks (0: cores)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    // a rank (started below, or by torchrun) times; otherwise start the ranks of each count
    if (engine::ReadLaunchEnv().source != "none") return RunRank(args);
    std::stringstream counts(args.ranks);
    for (std::string count; std::getline(counts, count, ',');) {
      // one rank is a child process too, so that every count pays the same start-up
      engine::LaunchOptions ranks;
      ranks.nproc = std::max(1, std::stoi(count));
      ranks.argv = {engine::SelfExecutable()};
      ranks.argv.insert(ranks.argv.end(), argv + 1, argv + argc);
      if (const int code = engine::LaunchLocalRanks(ranks); code != 0) return code;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_ddp: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace imitate::bench

int main(int argc, char** argv) {
  imitate::engine::UseFastBlasKernels(argv);
  return imitate::bench::Main(argc, argv);
}
