#include "engine/run/demos.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "engine/config/overrides.h"
#include "engine/data/demo_file.h"
#include "engine/data/episode.h"
#include "engine/report/episode_video.h"
#include "engine/run/seeds.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/expert.h"

namespace imitate::engine {

DemosResult MakeDemos(const DemosRequest& request, const Registry& registry, Console& console) {
  if (request.count <= 0) {
    throw ConfigError(fmt::format("--count: {} is not a positive number of demos", request.count));
  }
  const RegistryEntry& env_entry =
      registry.Get(PluginKind::kEnvironment, request.environment, "environment");
  const RegistryEntry& expert_entry = registry.Get(PluginKind::kExpert, request.expert, "--expert");

  // overrides: "key=value" or "environment.key=value" for the environment, "expert.key=value"
  std::map<std::string, ParamValue> env_values, expert_values;
  for (const std::string& text : request.overrides) {
    auto [key, value] = ParseOverride(text);
    if (key.rfind("expert.", 0) == 0) {
      expert_values[key.substr(7)] = value;
    } else {
      env_values[key.rfind("environment.", 0) == 0 ? key.substr(12) : key] = value;
    }
  }
  Params env_params = Params::Make("environment", env_entry.info.params, env_values);
  Params expert_params = Params::Make("expert", expert_entry.info.params, expert_values);

  // the plugins
  auto env = registry.Create<Environment>(request.environment, env_params);
  auto expert = registry.Create<Expert>(request.expert, expert_params);
  std::vector<std::string> supported = expert->SupportedEnvironments();
  // "*": a generic expert that checks the environment's interfaces itself (in Reset)
  if (std::find(supported.begin(), supported.end(), "*") == supported.end() &&
      std::find(supported.begin(), supported.end(), request.environment) == supported.end()) {
    throw ConfigError(fmt::format("--expert: expert '{}' drives {}, not '{}'", request.expert,
                                  fmt::join(supported, ", "), request.environment));
  }

  // one episode per demo, each with its own seeds
  DemoWriter writer(request.out, request.environment, env_params);
  EpisodeBuilder builder(env->ObservationSpec(), env->ActionSpec().Size(),
                         env->EpisodeLength() + 1);
  DemosResult result;
  std::unique_ptr<EpisodeRecorder> recorder;
  if (!request.video_dir.empty()) {
    recorder = std::make_unique<EpisodeRecorder>(request.video_dir, request.video_size);
  }
  for (int64_t i = 0; i < request.count; ++i) {
    const TimeStep* step = &env->Reset(DeriveSeed(request.seed, "demo", i));
    builder.Begin(*step);
    if (recorder) recorder->Begin(i, *env, *step);
    expert->Reset(*env, *step, DeriveSeed(request.seed, "expert", i));
    double episode_return = 0.0;
    while (!step->is_last) {
      torch::Tensor action = expert->Act(*env, *step);
      step = &env->Step(action);
      builder.Append(action, *step);
      if (recorder) recorder->Add(*env, *step);
      episode_return += step->reward;
    }
    writer.Add(builder.Finish());

    // running means for the report
    result.steps += builder.Length() - 1;
    result.mean_metrics["return"] += episode_return;
    result.mean_metrics["length"] += static_cast<double>(builder.Length() - 1);
    for (const auto& [k, v] : step->metrics) result.mean_metrics[k] += v;
    ++result.count;
    std::string status =
        step->metrics.count("success")
            ? fmt::format("success {:.2f}", result.mean_metrics["success"] / result.count)
            : "";
    console.Progress("demos", i + 1, request.count, status);
  }
  writer.Close();
  console.EndProgress();
  for (auto& [k, v] : result.mean_metrics) v /= static_cast<double>(result.count);
  return result;
}

}  // namespace imitate::engine
