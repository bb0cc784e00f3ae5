// Helpers shared by the kitchen_script tests: episodes of the kitchen_script expert in the
// kitchen environment, both loaded from their built plugins through the real loader.
#ifndef IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_KITCHEN_SCRIPT_TEST_UTIL_H_
#define IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_KITCHEN_SCRIPT_TEST_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "imitate/sdk/environment.h"
#include "imitate/sdk/expert.h"
#include "tests/support/plugin_test_util.h"

namespace imitate::plugins::kitchen_script {

using Given = std::map<std::string, ParamValue>;

// A kitchen environment and a kitchen_script expert doing `tasks` in this order.
struct Pair {
  std::unique_ptr<Environment> env;
  std::unique_ptr<Expert> expert;
};

inline Pair MakePair(const std::vector<std::string>& tasks, Given expert_params = {}) {
  Pair p;
  p.env = test_support::MakePlugin<Environment>(
      "kitchen", "environment",
      {{"tasks", tasks}, {"observation", std::vector<std::string>{"state"}}});
  expert_params["tasks"] = tasks;
  p.expert = test_support::MakePlugin<Expert>("kitchen_script", "expert", expert_params);
  return p;
}

// One demonstration: whether every task was completed, and how many were.
struct Outcome {
  bool success = false;
  double tasks_completed = 0;
  int steps = 0;
};

inline Outcome RunEpisode(Pair& p, uint64_t seed) {
  const TimeStep* step = &p.env->Reset(seed);
  p.expert->Reset(*p.env, *step, seed);
  Outcome out;
  while (!step->is_last) {
    step = &p.env->Step(p.expert->Act(*p.env, *step));
    ++out.steps;
  }
  out.success = step->metrics.at("success") == 1.0;
  out.tasks_completed = step->metrics.at("tasks_completed");
  return out;
}

// Successes over seeds [first, first + count), printed with `name`.
inline int SuccessCount(Pair& p, uint64_t first, int count, const std::string& name) {
  int successes = 0;
  double completed = 0;
  for (int i = 0; i < count; ++i) {
    Outcome out = RunEpisode(p, first + i);
    successes += out.success;
    completed += out.tasks_completed;
  }
  std::printf("kitchen_script %s: success %d/%d (%.1f%%), %.2f tasks completed on average\n",
              name.c_str(), successes, count, 100.0 * successes / count, completed / count);
  std::fflush(stdout);
  return successes;
}

}  // namespace imitate::plugins::kitchen_script

#endif  // IMITATE_PLUGINS_EXPERTS_KITCHEN_SCRIPT_KITCHEN_SCRIPT_TEST_UTIL_H_
