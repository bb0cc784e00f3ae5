// gpu_update: the paper-size CMIL agent on a CUDA device, built without the engine.
//
// For machines with a CUDA LibTorch (e.g. the one inside a PyTorch wheel) but none of the
// engine's other dependencies: build.sh compiles the SDK, the plugins this needs and this
// driver directly against that LibTorch. It builds the Kitchen pixel agent at the paper's
// sizes (the plugins' defaults: conv depth 48, rssm_ensemble 400/360/400 x 10 members,
// discriminator 2 x 200, cmil actor and critics 4 x 400; batch 32 x 50), checks that every
// update and Act run on the device with finite results, and prints JSON lines like
// bench_update's: seconds per world-model and full update on the device (and on the CPU for
// comparison when --cpu-updates > 0).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "imitate/sdk/errors.h"
#include "plugins/dynamics/rssm_ensemble/rssm_ensemble.h"
#include "plugins/encoders/conv/conv_encoder.h"
#include "plugins/optimizers/cmil/cmil_optimizer.h"
#include "plugins/optimizers/world_model/world_model_optimizer.h"
#include "plugins/reward_learners/discriminator/discriminator.h"

namespace imitate {
namespace {

// the Kitchen's pixel observation and action spaces
ObservationSpace KitchenPixels() {
  ObservationSpace space;
  space["pixels"] = Space{torch::kUInt8, {64, 64, 3}, 0, 255};
  return space;
}
Space KitchenActions() { return Space{torch::kFloat32, {9}, -1.0, 1.0}; }

Batch RandomBatch(int64_t b, int64_t t) {
  Batch batch;
  batch.observation["pixels"] = torch::randint(0, 256, {b, t, 64, 64, 3}, torch::kUInt8);
  batch.action = torch::rand({b, t, 9}) * 2 - 1;
  batch.reward = torch::zeros({b, t});
  batch.is_first = torch::zeros({b, t}, torch::kBool);
  batch.is_first.select(1, 0).fill_(true);
  batch.is_last = torch::zeros({b, t}, torch::kBool);
  batch.is_terminal = torch::zeros({b, t}, torch::kBool);
  return batch;
}

struct Agent {
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<EnsembleDynamics> dynamics;
  std::unique_ptr<RewardLearner> reward;
  std::unique_ptr<Optimizer> cmil, world_model;
};

// the components at their defaults (the paper's sizes), built on `device`
Agent Build(torch::Device device) {
  using plugins::CmilOptimizer;
  using plugins::ConvEncoder;
  using plugins::Discriminator;
  using plugins::RssmEnsemble;
  using plugins::WorldModelOptimizer;
  Agent a;
  a.encoder = ConvEncoder::Create(Params::Make("encoder", ConvEncoder::Specs()));
  a.dynamics = RssmEnsemble::Create(Params::Make("dynamics", RssmEnsemble::Specs()));
  a.reward = Discriminator::Create(Params::Make("reward", Discriminator::Specs()));
  a.cmil = CmilOptimizer::Create(Params::Make("optimizer", CmilOptimizer::Specs()));
  a.world_model =
      WorldModelOptimizer::Create(Params::Make("optimizer", WorldModelOptimizer::Specs()));
  const int64_t features = a.dynamics->FeatureSize();
  a.encoder->Build(KitchenPixels(), features);
  a.encoder->Module()->to(device);
  a.dynamics->Build(a.encoder->EmbeddingSize(), 9);
  a.dynamics->Module()->to(device);
  a.reward->Build(features, 9);
  a.reward->Module()->to(device);
  AgentComponents components{KitchenPixels(),
                             KitchenActions(),
                             a.encoder.get(),
                             a.dynamics.get(),
                             a.reward.get(),
                             device,
                             0};
  a.cmil->Build(components);
  components.reward = nullptr;
  a.world_model->Build(components);
  return a;
}

void Sync(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// seconds per update, after `warmup` untimed ones; fails on non-finite metrics
double Time(Optimizer& optimizer, const Batch& replay, const Batch& expert, int warmup, int updates,
            torch::Device device) {
  for (int i = 0; i < warmup; ++i) optimizer.Update(Phase::kOnline, replay, expert);
  Sync(device);
  auto start = std::chrono::steady_clock::now();
  Metrics metrics;
  for (int i = 0; i < updates; ++i) metrics = optimizer.Update(Phase::kOnline, replay, expert);
  Sync(device);
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  for (const auto& [key, value] : metrics) {
    if (!std::isfinite(value)) throw InternalError("non-finite metric " + key);
  }
  return elapsed.count() / updates;
}

void Report(const char* part, torch::Device device, double seconds) {
  std::printf(
      "{\"preset\": \"paper\", \"part\": \"%s\", \"device\": \"%s\", \"seconds_per_update\": "
      "%.4f, \"batch\": [32, 50], \"threads\": %d, \"torch\": \"%s\"}\n",
      part, device.str().c_str(), seconds, torch::get_num_threads(), TORCH_VERSION);
  std::fflush(stdout);
}

void Bench(torch::Device device, int warmup, int updates) {
  torch::manual_seed(0);
  Agent agent = Build(device);
  Batch replay = RandomBatch(32, 50), expert = RandomBatch(32, 50);
  // every phase runs on the device
  for (Phase phase : {Phase::kPretrain, Phase::kBehaviorCloning, Phase::kOnline}) {
    agent.cmil->Update(phase, replay, expert);
  }
  // acting: filtering through the posterior with a carry on the device
  TensorMap carry = agent.cmil->InitialCarry(4);
  TensorMap observation{{"pixels", torch::randint(0, 256, {4, 64, 64, 3}, torch::kUInt8)}};
  torch::Tensor is_first = torch::ones({4}, torch::kBool);
  for (int step = 0; step < 3; ++step) {
    torch::Tensor action = agent.cmil->Act(observation, is_first, carry, ActMode::kEvaluate);
    if (action.sizes() != torch::IntArrayRef({4, 9}) || !action.isfinite().all().item<bool>() ||
        carry.at("deter").device().type() != device.type() ||
        (action.abs() > 1).any().item<bool>()) {
      throw InternalError("Act gave a bad action or carry on " + device.str());
    }
    is_first.fill_(false);
  }
  double model = Time(*agent.world_model, replay, expert, warmup, updates, device);
  Report("world_model", device, model);
  double full = Time(*agent.cmil, replay, expert, warmup, updates, device);
  Report("behaviour", device, full - model);
  Report("full", device, full);
}

}  // namespace
}  // namespace imitate

int main(int argc, char** argv) {
  const int updates = argc > 1 ? std::atoi(argv[1]) : 20;
  const int cpu_updates = argc > 2 ? std::atoi(argv[2]) : 0;
  try {
    if (!torch::cuda::is_available()) {
      std::fprintf(stderr, "gpu_update: this LibTorch sees no CUDA device\n");
      return 1;
    }
    imitate::Bench(torch::kCUDA, 3, updates);
    if (cpu_updates > 0) imitate::Bench(torch::kCPU, 1, cpu_updates);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_update: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
