// Learning-side benchmarks: replay sampling, a behaviour-cloning update, acting, and a BLAS
// matrix product for reference.
#include <benchmark/benchmark.h>
#include <torch/types.h>

#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <random>

#include "engine/data/episode.h"
#include "engine/data/replay.h"
#include "imitate/sdk/encoder.h"
#include "imitate/sdk/optimizer.h"
#include "tools/bench/bench_plugins.h"

namespace imitate::bench {
namespace {

constexpr int64_t kStateSize = 6;
constexpr int64_t kActionSize = 2;

// a synthetic episode of `length` steps: uint8 pixels [64, 64, 3] and a float state
engine::Episode SyntheticEpisode(int64_t length, int64_t image) {
  engine::Episode episode;
  episode.observation["pixels"] = torch::randint(0, 256, {length, image, image, 3}, torch::kUInt8);
  episode.observation["state"] = torch::randn({length, kStateSize});
  episode.action = torch::rand({length, kActionSize}) * 2 - 1;
  episode.action[0].zero_();
  episode.reward = torch::randn({length});
  episode.is_first = torch::zeros({length}, torch::kBool);
  episode.is_first[0] = true;
  episode.is_last = torch::zeros({length}, torch::kBool);
  episode.is_last[length - 1] = true;
  episode.is_terminal = torch::zeros({length}, torch::kBool);
  return episode;
}

// the bytes of every tensor of a batch
int64_t BatchBytes(const Batch& batch) {
  int64_t bytes = 0;
  for (const auto& entry : batch.observation) bytes += entry.second.nbytes();
  for (const torch::Tensor* t :
       {&batch.action, &batch.reward, &batch.is_first, &batch.is_last, &batch.is_terminal}) {
    bytes += t->nbytes();
  }
  return bytes;
}

// ReplayBuffer::Sample(32, 50) from 20 episodes of 500 steps of 64x64 pixels + state
void BM_ReplaySample(benchmark::State& state) {
  torch::manual_seed(0);
  engine::ReplayBuffer buffer(1'000'000);
  for (int i = 0; i < 20; ++i) buffer.Add(SyntheticEpisode(500, 64));
  std::mt19937_64 rng(0);
  const int64_t bytes = BatchBytes(buffer.Sample(32, 50, rng));
  for (auto _ : state) {
    Batch batch = buffer.Sample(32, 50, rng);
    benchmark::DoNotOptimize(batch.action.data_ptr());
  }
  // items: batches
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_ReplaySample)->UseRealTime()->Unit(benchmark::kMillisecond);

// an mlp encoder and a bc optimizer with their default parameters, built by hand for a state
// space of size 6 and actions of size 2 (the encoder is declared first: destroyed last)
struct BcAgent {
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Optimizer> optimizer;
};

BcAgent MakeBcAgent() {
  BcAgent agent;
  ObservationSpace space;
  space["state"] = Space{torch::kFloat32,
                         {kStateSize},
                         -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::infinity()};
  agent.encoder = CreatePlugin<Encoder>("mlp", "encoder");
  agent.encoder->Build(space, /*decoder_input_size=*/0);
  agent.optimizer = CreatePlugin<Optimizer>("bc", "optimizer");
  AgentComponents components;
  components.observation_space = space;
  components.action_space = Space{torch::kFloat32, {kActionSize}, -1.0, 1.0};
  components.encoder = agent.encoder.get();
  components.seed = 0;
  agent.optimizer->Build(components);
  return agent;
}

// a synthetic expert batch [batch, length] of states and actions inside (-1, 1)
Batch SyntheticBcBatch(int64_t batch_size, int64_t length) {
  Batch batch;
  batch.observation["state"] = torch::randn({batch_size, length, kStateSize});
  batch.action = torch::rand({batch_size, length, kActionSize}) * 1.8 - 0.9;
  batch.reward = torch::zeros({batch_size, length});
  batch.is_first = torch::zeros({batch_size, length}, torch::kBool);
  batch.is_first.select(1, 0).fill_(true);
  batch.is_last = torch::zeros({batch_size, length}, torch::kBool);
  batch.is_terminal = torch::zeros({batch_size, length}, torch::kBool);
  return batch;
}

// one bc Update on a batch of 64 windows of 8 steps
void BM_BcUpdate(benchmark::State& state) {
  torch::manual_seed(0);
  BcAgent agent;
  try {
    agent = MakeBcAgent();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const Batch batch = SyntheticBcBatch(64, 8);
  for (auto _ : state) {
    Metrics metrics = agent.optimizer->Update(Phase::kBehaviorCloning, batch, batch);
    benchmark::DoNotOptimize(metrics);
  }
  // items: updates
  state.SetItemsProcessed(state.iterations());
  state.counters["batch"] = 64;
  state.counters["length"] = 8;
}
BENCHMARK(BM_BcUpdate)->UseRealTime()->Unit(benchmark::kMicrosecond);

// one Act (explore mode) on a single observation: the per-step inference cost of collecting
void BM_BcAct(benchmark::State& state) {
  torch::manual_seed(0);
  BcAgent agent;
  try {
    agent = MakeBcAgent();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  TensorMap observation;
  observation["state"] = torch::randn({1, kStateSize});
  const torch::Tensor is_first = torch::zeros({1}, torch::kBool);
  TensorMap carry = agent.optimizer->InitialCarry(1);
  for (auto _ : state) {
    torch::Tensor action = agent.optimizer->Act(observation, is_first, carry, ActMode::kExplore);
    benchmark::DoNotOptimize(action.data_ptr());
  }
  // items: actions chosen
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BcAct)->UseRealTime()->Unit(benchmark::kMicrosecond);

// float32 [n, n] x [n, n] through torch::mm (the BLAS behind libblas.so.3)
void BM_TorchMm(benchmark::State& state) {
  const int64_t n = state.range(0);
  torch::manual_seed(0);
  const torch::Tensor a = torch::randn({n, n});
  const torch::Tensor b = torch::randn({n, n});
  for (auto _ : state) {
    torch::Tensor c = torch::mm(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["gflops"] = benchmark::Counter(
      2e-9 * static_cast<double>(n * n * n) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TorchMm)->Arg(256)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace imitate::bench
