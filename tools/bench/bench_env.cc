// Environment benchmarks: point_mass steps with state observations and with rendered pixels.
#include <benchmark/benchmark.h>
#include <torch/types.h>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "tools/bench/bench_plugins.h"

namespace imitate::bench {
namespace {

// steps `env` with a fixed action until the benchmark ends, resetting at is_last
void StepLoop(benchmark::State& state, Environment& env) {
  const torch::Tensor action = torch::tensor({0.5f, -0.25f});
  uint64_t seed = 0;
  int64_t resets = 0;
  env.Reset(seed++);
  for (auto _ : state) {
    const TimeStep& step = env.Step(action);
    benchmark::DoNotOptimize(&step);
    if (step.is_last) {
      env.Reset(seed++);
      ++resets;
    }
  }
  // items: env steps (the resets are included in the time, not counted as steps)
  state.SetItemsProcessed(state.iterations());
  state.counters["episode_length"] = static_cast<double>(env.EpisodeLength());
  state.counters["resets"] = static_cast<double>(resets);
}

// a point_mass environment with these parameters over the defaults, or an error message
std::unique_ptr<Environment> MakePointMass(benchmark::State& state,
                                           const std::map<std::string, ParamValue>& given) {
  try {
    return CreatePlugin<Environment>("point_mass", "environment", given);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

// point_mass with the `state` observation only: physics cost per control step
void BM_PointMassStepState(benchmark::State& state) {
  std::unique_ptr<Environment> env =
      MakePointMass(state, {{"observation", std::vector<std::string>{"state"}}});
  if (!env) return;
  StepLoop(state, *env);
}
BENCHMARK(BM_PointMassStepState)->UseRealTime();

// point_mass with the `pixels` observation at image_size = range(0): physics + EGL rendering
void BM_PointMassStepPixels(benchmark::State& state) {
  const int64_t size = state.range(0);
  std::unique_ptr<Environment> env = MakePointMass(
      state, {{"observation", std::vector<std::string>{"pixels"}}, {"image_size", size}});
  if (!env) return;
  // one step outside the timing, to check that the frames really come
  env->Reset(0);
  const TimeStep& first = env->Step(torch::zeros({2}));
  if (first.observation.count("pixels") == 0 ||
      first.observation.at("pixels").sizes() != torch::IntArrayRef({size, size, 3})) {
    state.SkipWithError("point_mass did not return pixels of the requested size");
    return;
  }
  StepLoop(state, *env);
  state.SetBytesProcessed(state.iterations() * size * size * 3);
  state.counters["image_size"] = static_cast<double>(size);
}
BENCHMARK(BM_PointMassStepPixels)->Arg(64)->Arg(128)->UseRealTime();

// Render("", S, S) alone on a fixed state, S = range(0): the rendering share of a pixel step
void BM_PointMassRender(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  std::unique_ptr<Environment> env =
      MakePointMass(state, {{"observation", std::vector<std::string>{"state"}}});
  if (!env) return;
  env->Reset(0);
  for (auto _ : state) {
    torch::Tensor frame = env->Render("", size, size);
    benchmark::DoNotOptimize(frame.data_ptr());
  }
  // items: frames
  state.SetItemsProcessed(state.iterations());
  state.counters["image_size"] = static_cast<double>(size);
}
BENCHMARK(BM_PointMassRender)->Arg(64)->Arg(128)->UseRealTime();

}  // namespace
}  // namespace imitate::bench
