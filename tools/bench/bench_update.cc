// bench_update: seconds per update of the world-model agents, per preset, as JSON lines.
//
//   build/bin/bench_update --preset small|paper|state [--updates N] [--warmup N]
//                          [--threads N] [--device cpu|cuda] [--set key=value]...
//
// Each preset is the Kitchen CMIL experiment (experiments/kitchen/cmil*.toml) with that preset:
//   small: pixels 64x64, --preset small;  paper: pixels, --preset paper;
//   state: the state vector, --preset small.
// Parts, each one JSON line:
//   world_model: one step of the world model alone (the `world_model` optimizer)
//   full:        one full CMIL update (world model, imagination, discriminator, actor, critics)
//   behaviour:   full minus world_model (imagination + discriminator + actor + critics)
// Batches are random data of the experiment's shapes (B x T from the preset); the timing does
// not depend on the values. peak_rss_mb is the process's peak resident memory so far.
#include <fmt/format.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/experiment.h"
#include "engine/run/agent.h"
#include "engine/run/blas_kernels.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "tools/bench/bench_plugins.h"

namespace imitate::bench {
namespace {

namespace fs = std::filesystem;

// the experiment file and preset of a bench preset name
engine::ExperimentSource SourceFor(const std::string& preset) {
  const char* env = std::getenv("IMITATE_SOURCE_DIR");
  fs::path root = env != nullptr && *env != '\0' ? fs::path(env) : fs::path(IMITATE_SOURCE_DIR);
  fs::path dir = root / "experiments" / "kitchen";
  if (preset == "small") return {(dir / "cmil.toml").string(), {"small"}, {}};
  if (preset == "paper") return {(dir / "cmil.toml").string(), {"paper"}, {}};
  if (preset == "state") return {(dir / "cmil_state.toml").string(), {"small"}, {}};
  throw UsageError("--preset: '" + preset + "' is not one of small, paper, state");
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
}

// seconds per call of `update`, after `warmup` calls (synchronising CUDA around the timing)
template <typename Fn>
double SecondsPerUpdate(Fn&& update, int warmup, int updates, torch::Device device) {
  for (int i = 0; i < warmup; ++i) update();
  if (device.is_cuda()) torch::cuda::synchronize();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < updates; ++i) update();
  if (device.is_cuda()) torch::cuda::synchronize();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / updates;
}

int Main(int argc, char** argv) {
  CLI::App app{"Seconds per world-model agent update (JSON lines)"};
  std::string preset = "small", device_name = "cpu";
  int updates = 10, warmup = 2, threads = 0;
  std::vector<std::string> overrides;
  app.add_option("--preset", preset, "small, paper or state")->capture_default_str();
  app.add_option("--updates", updates, "timed updates")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed updates first")->capture_default_str();
  app.add_option("--threads", threads, "torch threads (0: the experiment's)");
  app.add_option("--device", device_name, "cpu or cuda")->capture_default_str();
  app.add_option("--set", overrides, "override a value of the experiment: key.path=value");
  CLI11_PARSE(app, argc, argv);

  try {
    // the experiment and its components, as the runner builds them
    engine::ExperimentSource source = SourceFor(preset);
    source.overrides = overrides;
    engine::Experiment e = engine::LoadExperiment(source, Plugins());
    const int64_t torch_threads = threads > 0 ? threads : e.threads;
    if (torch_threads > 0) torch::set_num_threads(static_cast<int>(torch_threads));
    torch::manual_seed(0);
    torch::Device device = engine::ParseDevice(device_name);
    auto env = Plugins().Create<Environment>(e.environment.kind, e.environment.params);
    engine::Agent agent = engine::BuildAgent(e, Plugins(), env->ObservationSpec(),
                                             env->ActionSpec(), device, /*seed=*/0);
    // a world_model optimizer over the same components, for the world-model part
    auto model_only = CreatePlugin<Optimizer>("world_model", "optimizer");
    AgentComponents components{env->ObservationSpec(),
                               env->ActionSpec(),
                               agent.encoder.get(),
                               agent.dynamics.get(),
                               nullptr,
                               device,
                               0};
    model_only->Build(components);

    const int64_t b = e.schedule.Int("batch_size"), t = e.schedule.Int("batch_length");
    const int64_t actions = env->ActionSpec().Size();
    Batch replay = RandomBatch(env->ObservationSpec(), actions, b, t);
    Batch expert = RandomBatch(env->ObservationSpec(), actions, b, t);
    auto line = [&](const char* part, double seconds) {
      std::printf(
          "{\"preset\": \"%s\", \"part\": \"%s\", \"seconds_per_update\": %.5f, "
          "\"peak_rss_mb\": %.1f, \"batch\": [%lld, %lld], \"device\": \"%s\", "
          "\"threads\": %d}\n",
          preset.c_str(), part, seconds, PeakRssMb(), static_cast<long long>(b),
          static_cast<long long>(t), device.str().c_str(), torch::get_num_threads());
      std::fflush(stdout);
    };
    double model = SecondsPerUpdate([&] { model_only->Update(Phase::kOnline, replay, expert); },
                                    warmup, updates, device);
    line("world_model", model);
    double full = SecondsPerUpdate([&] { agent.optimizer->Update(Phase::kOnline, replay, expert); },
                                   warmup, updates, device);
    line("behaviour", full - model);
    line("full", full);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_update: error: %s\n", e.what());
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
