#include "engine/run/agent.h"

#include <fmt/format.h>
#include <torch/cuda.h>

#include <string>

#include "imitate/sdk/errors.h"

namespace imitate::engine {

torch::Device ParseDevice(const std::string& text) {
  if (text == "cpu") return torch::kCPU;
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError(fmt::format(
          "device: \"{}\" requested but this LibTorch has no usable CUDA device", text));
    }
    try {
      return torch::Device(text);
    } catch (const std::exception&) {
      throw ConfigError(fmt::format("device: \"{}\" is not a device (cpu, cuda, cuda:N)", text));
    }
  }
  throw ConfigError(fmt::format("device: \"{}\" is not a device (cpu, cuda, cuda:N)", text));
}

std::pair<TensorMap, TensorMap> ObservationStatistics(const std::vector<Episode>& episodes,
                                                      const std::vector<std::string>& keys) {
  TensorMap mean, std;
  for (const std::string& key : keys) {
    std::vector<torch::Tensor> steps;
    for (const Episode& episode : episodes) {
      auto it = episode.observation.find(key);
      if (it == episode.observation.end() || it->second.scalar_type() != torch::kFloat32 ||
          it->second.dim() != 2) {
        break;
      }
      steps.push_back(it->second);
    }
    if (steps.empty() || steps.size() != episodes.size()) continue;
    torch::Tensor all = torch::cat(steps, 0).to(torch::kFloat64);
    mean.emplace(key, all.mean(0).to(torch::kFloat32));
    std.emplace(key, all.std(0, /*unbiased=*/false).to(torch::kFloat32));
  }
  return {mean, std};
}

Agent BuildAgent(const Experiment& experiment, const Registry& registry,
                 const ObservationSpace& observation_space, const Space& action_space,
                 torch::Device device, uint64_t seed) {
  Agent agent;
  const int64_t action_size = action_space.Size();

  // create everything first (cheap: params only)
  agent.encoder = registry.Create<Encoder>(experiment.encoder.kind, experiment.encoder.params);
  if (experiment.dynamics.present) {
    agent.dynamics =
        registry.Create<Dynamics>(experiment.dynamics.kind, experiment.dynamics.params);
  }
  if (experiment.reward.present) {
    agent.reward = registry.Create<RewardLearner>(experiment.reward.kind, experiment.reward.params);
  }
  agent.optimizer =
      registry.Create<Optimizer>(experiment.optimizer.kind, experiment.optimizer.params);

  // build in data-flow order: encoder (+ decoder sized for the features) -> dynamics -> reward
  const int64_t feature_size = agent.dynamics ? agent.dynamics->FeatureSize() : 0;
  agent.encoder->Build(observation_space, feature_size);
  agent.encoder->Module()->to(device);
  if (agent.dynamics) {
    agent.dynamics->Build(agent.encoder->EmbeddingSize(), action_size);
    agent.dynamics->Module()->to(device);
  }
  if (agent.reward) {
    int64_t input = agent.dynamics ? feature_size : agent.encoder->EmbeddingSize();
    agent.reward->Build(input, action_size);
    agent.reward->Module()->to(device);
  }

  // the optimizer last: it trains the components' parameters
  AgentComponents components;
  components.observation_space = observation_space;
  components.action_space = action_space;
  components.encoder = agent.encoder.get();
  components.dynamics = agent.dynamics.get();
  components.reward = agent.reward.get();
  components.device = device;
  components.seed = seed;
  agent.optimizer->Build(components);
  return agent;
}

}  // namespace imitate::engine
