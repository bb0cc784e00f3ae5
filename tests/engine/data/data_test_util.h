// Shared helpers of the engine/data tests: temporary directories and synthetic episodes.
#ifndef IMITATE_TESTS_ENGINE_DATA_DATA_TEST_UTIL_H_
#define IMITATE_TESTS_ENGINE_DATA_DATA_TEST_UTIL_H_

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "engine/data/episode.h"
#include "imitate/sdk/spaces.h"

namespace imitate::engine::testing {

// A fresh directory under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device device;
    path_ = std::filesystem::temp_directory_path() /
            ("imitate-data-test-" + std::to_string(device()) + std::to_string(device()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // A path inside the directory.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

constexpr int64_t kImage = 8;   // pixels are uint8 [kImage, kImage, 3]
constexpr int64_t kState = 2;   // state is float32 [kState]: {id, step}
constexpr int64_t kAction = 3;  // actions are float32 [kAction]

// The observation space of the synthetic episodes.
inline ObservationSpace TestSpace() {
  ObservationSpace space;
  space["pixels"] = Space{torch::kUInt8, {kImage, kImage, 3}, 0, 255};
  space["state"] = Space{torch::kFloat32, {kState}, -1e9, 1e9};
  return space;
}

// A Dreamer-convention episode of `length` steps: state[t] = {id, t}, random pixels, action[t]
// = id + t/100 (zero at t = 0), reward[t] = t, terminal when `terminal`.
inline Episode MakeEpisode(int64_t id, int64_t length, bool terminal = false) {
  Episode e;
  const torch::Tensor steps = torch::arange(length, torch::kFloat32);
  e.observation["state"] = torch::stack({torch::full({length}, static_cast<float>(id)), steps}, 1);
  e.observation["pixels"] = torch::randint(0, 256, {length, kImage, kImage, 3}, torch::kUInt8);
  e.action = (id + steps / 100).unsqueeze(1).repeat({1, kAction}).contiguous();
  e.action[0].zero_();
  e.reward = steps.clone();
  e.is_first = torch::zeros({length}, torch::kBool);
  e.is_first[0] = true;
  e.is_last = torch::zeros({length}, torch::kBool);
  e.is_last[length - 1] = true;
  e.is_terminal = torch::zeros({length}, torch::kBool);
  e.is_terminal[length - 1] = terminal;
  e.metrics = {{"success", terminal ? 1.0 : 0.0}, {"tasks_completed", static_cast<double>(id)}};
  return e;
}

}  // namespace imitate::engine::testing

#endif  // IMITATE_TESTS_ENGINE_DATA_DATA_TEST_UTIL_H_
