// bench_env: environment throughput against its physics-and-render bound, on one thread.
//
//   build/bin/bench_env [ENV...] [--seconds S] [--sizes 64,128] [--profile] [--set KEY=VALUE]...
//
// --set passes an environment parameter to every ENV (e.g. --set task=relocate for `hand`).
// Prints one JSON line per configuration:
//   {"env": "kitchen", "set": "", "obs": "pixels", "image_size": 64, "steps_per_s": ...,
//    "bound_steps_per_s": ..., "overhead": ..., "random_action_steps_per_s": ...}
// steps_per_s holds the robot still (zero actions) from Reset; the bound is raw mj_step x
// frame_skip on a copy of the model and the reset state (plus, for pixels, one Render("", S, S)
// of the environment: its pixels camera), measured in the same run; overhead = bound / steps - 1.
// The last field steps with random actions (more contacts, so slower physics). Environments must
// implement imitate::MujocoEnvironment; without ENV every such registered environment runs.
// --profile adds one line per environment with MuJoCo's own stage timers for the held-still
// physics: {"env": ..., "set": ..., "profile": "mj_step", "us": {"step": ..., ...},
// "ncon": ..., "nefc": ...} (microseconds per mj_step; stages nest: step > forward > position >
// collision).
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/overrides.h"
#include "engine/plugins/registry.h"
#include "imitate/sdk/environment.h"
#include "imitate/sdk/mujoco/model.h"
#include "imitate/sdk/mujoco/mujoco_environment.h"
#include "tools/bench/bench_plugins.h"

namespace imitate::bench {
namespace {

using Clock = std::chrono::steady_clock;

// calls `step` until `seconds` have passed; returns calls per second
template <typename F>
double Rate(double seconds, F step) {
  for (int i = 0; i < 20; ++i) step();  // warm up (first render makes the GL context)
  int64_t n = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 20; ++i) step();
    n += 20;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return static_cast<double>(n) / elapsed;
}

// the environment's own step, with zero actions (hold still: comparable with the bound) or
// random actions from a fixed seed (the arm moves and touches things: more contacts)
double EnvRate(Environment& env, double seconds, bool random) {
  torch::manual_seed(0);
  torch::Tensor actions = torch::rand({256, env.ActionSpec().Size()}) * 2 - 1;
  if (!random) actions.zero_();
  int64_t i = 0;
  env.Reset(0);
  return Rate(seconds, [&] {
    if (env.Step(actions[i++ % 256]).is_last) env.Reset(static_cast<uint64_t>(i));
  });
}

// raw physics on copies of the environment's model and data, starting from the state right
// after Reset(0), restored every episode as the environment does; for pixels plus one render
// of the same size by the environment itself (Render("", S, S): its own pixels camera and
// renderer, of its reset state; the view, not the state, sets the cost of a frame)
double BoundRate(MujocoEnvironment& env, int image_size, double seconds) {
  env.Reset(0);
  mujoco::MjModelPtr model(mj_copyModel(nullptr, env.Model()));
  mujoco::MjDataPtr start(mj_copyData(nullptr, model.get(), env.Data()));
  mujoco::MjDataPtr data(mj_copyData(nullptr, model.get(), start.get()));
  const int frame_skip = env.FrameSkip();
  const int64_t episode_length = env.EpisodeLength();
  int64_t t = 0;
  return Rate(seconds, [&] {
    if (++t % episode_length == 0) mj_copyData(data.get(), model.get(), start.get());
    for (int k = 0; k < frame_skip; ++k) mj_step(model.get(), data.get());
    if (image_size > 0) env.Render("", image_size, image_size);
  });
}

// microseconds on the steady clock, for MuJoCo's stage timers
mjtNum NowMicroseconds() {
  return std::chrono::duration<double, std::micro>(Clock::now().time_since_epoch()).count();
}

// MuJoCo's stage timers over `seconds` of raw physics on copies of the model and the state
// right after Reset(0) (held still, as the bound); one JSON line
void ProfilePhysics(const std::string& name, const std::string& set, MujocoEnvironment& env,
                    double seconds) {
  env.Reset(0);
  mujoco::MjModelPtr model(mj_copyModel(nullptr, env.Model()));
  mujoco::MjDataPtr data(mj_copyData(nullptr, model.get(), env.Data()));
  mjfTime previous = mjcb_time;
  mjcb_time = NowMicroseconds;
  Rate(seconds / 10, [&] { mj_step(model.get(), data.get()); });  // settle, then count
  for (int i = 0; i < mjNTIMER; ++i) data->timer[i] = mjTimerStat{0, 0};
  Rate(seconds, [&] { mj_step(model.get(), data.get()); });
  mjcb_time = previous;
  // the stages of mjtTimer, in its order
  static const char* const kStages[mjNTIMER] = {
      "step",      "forward",         "inverse",    "position",   "velocity",
      "actuation", "acceleration",    "constraint", "kinematics", "inertia",
      "collision", "make_constraint", "project"};
  std::string stages;
  const double steps = std::max(1, data->timer[mjTIMER_STEP].number);
  for (int i = 0; i < mjNTIMER; ++i) {
    if (i == mjTIMER_INVERSE) continue;  // not called by mj_step
    stages += fmt::format("{}\"{}\": {:.2f}", stages.empty() ? "" : ", ", kStages[i],
                          data->timer[i].duration / steps);
  }
  std::printf(
      "{\"env\": \"%s\", \"set\": \"%s\", \"profile\": \"mj_step\", \"us\": {%s}, "
      "\"ncon\": %d, \"nefc\": %d}\n",
      name.c_str(), set.c_str(), stages.c_str(), data->ncon, data->nefc);
  std::fflush(stdout);
}

// the --set overrides: parsed parameter values, and their text for the JSON lines
struct Overrides {
  std::map<std::string, ParamValue> values;
  std::string text;  // "task=relocate,image_size=..." as given
};

void Measure(const std::string& name, const Overrides& overrides, const std::string& obs,
             int image_size, double seconds, bool profile) {
  std::map<std::string, ParamValue> given = overrides.values;
  given["observation"] = std::vector<std::string>{obs};
  if (obs == "pixels") given["image_size"] = static_cast<int64_t>(image_size);
  auto env = CreatePlugin<Environment>(name, "environment", given);
  auto* mj = dynamic_cast<MujocoEnvironment*>(env.get());
  if (mj == nullptr) {
    std::fprintf(stderr, "bench_env: %s is not a MujocoEnvironment: skipped\n", name.c_str());
    return;
  }
  double steps = EnvRate(*env, seconds, false);
  double bound = BoundRate(*mj, obs == "pixels" ? image_size : 0, seconds);
  double random_steps = EnvRate(*env, seconds, true);
  std::printf(
      "{\"env\": \"%s\", \"set\": \"%s\", \"obs\": \"%s\", \"image_size\": %d, "
      "\"steps_per_s\": %.1f, \"bound_steps_per_s\": %.1f, \"overhead\": %.3f, "
      "\"random_action_steps_per_s\": %.1f}\n",
      name.c_str(), overrides.text.c_str(), obs.c_str(), obs == "pixels" ? image_size : 0, steps,
      bound, bound / steps - 1.0, random_steps);
  std::fflush(stdout);
  if (profile) ProfilePhysics(name, overrides.text, *mj, seconds);
}

}  // namespace
}  // namespace imitate::bench

int main(int argc, char** argv) {
  // one core: one torch thread and Mesa's llvmpipe rendering on the calling thread
  setenv("LP_NUM_THREADS", "0", 0);
  torch::set_num_threads(1);

  std::vector<std::string> envs;
  std::vector<int> sizes = {64};
  double seconds = 3.0;
  bool profile = false;
  imitate::bench::Overrides overrides;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--profile") {
      profile = true;
    } else if (arg == "--set" && i + 1 < argc) {
      std::string text = argv[++i];
      try {
        auto [key, value] = imitate::engine::ParseOverride(text);
        overrides.values.insert_or_assign(key, value);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_env: --set %s: %s\n", text.c_str(), e.what());
        return 2;
      }
      // JSON-safe: the values' own quotes are escaped
      std::string escaped;
      for (char c : text) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
      overrides.text += (overrides.text.empty() ? "" : ",") + escaped;
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (arg == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      for (size_t start = 0; start < list.size();) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        sizes.push_back(std::stoi(list.substr(start, end - start)));
        start = end + 1;
      }
    } else {
      envs.push_back(arg);
    }
  }
  try {
    if (envs.empty()) envs = imitate::bench::Plugins().Names(imitate::PluginKind::kEnvironment);
    for (const std::string& env : envs) {
      imitate::bench::Measure(env, overrides, "state", 0, seconds, profile);
      for (int size : sizes) {
        imitate::bench::Measure(env, overrides, "pixels", size, seconds, false);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_env: %s\n", e.what());
    return 1;
  }
  return 0;
}
