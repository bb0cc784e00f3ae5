#include "engine/data/demo_layout.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace imitate::engine {
namespace {

constexpr char kNumSamples[] = "num_samples";
constexpr char kTerminal[] = "terminal";

// the K of "demo_K", or -1 for any other name
int64_t DemoNumber(const std::string& name) {
  const std::string prefix = "demo_";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return -1;
  }
  return std::stoll(digits);
}

// "[50, 64, 64, 3]"
std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// `t` with the time dimension `rows` in front of `row_shape`
std::vector<int64_t> WithRows(int64_t rows, const std::vector<int64_t>& row_shape) {
  std::vector<int64_t> shape{rows};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  return shape;
}

// reads a per-step vector dataset `demo`/`name` of shape [T] into `dst`
void ReadSteps(hid_t demo, const std::string& demo_name, const std::string& name,
               const torch::Tensor& dst) {
  if (!h5::Exists(demo, name)) throw h5::Failure(fmt::format("{} has no {}", demo_name, name));
  h5::Handle dataset = h5::OpenDataset(demo, name);
  const std::vector<int64_t> shape = h5::Shape(dataset.get());
  if (shape != std::vector<int64_t>{dst.size(0)}) {
    throw h5::Failure(fmt::format("{} {} has shape {}, expected [{}]", demo_name, name,
                                  ShapeText(shape), dst.size(0)));
  }
  h5::ReadRows(dataset.get(), 0, dst);
}

// opens `group`/`key` and checks it holds `steps` values of `space`
h5::Handle OpenObservation(hid_t group, const std::string& where, const std::string& key,
                           int64_t steps, const Space& space) {
  h5::Handle dataset = h5::OpenDataset(group, key);
  const std::vector<int64_t> shape = h5::Shape(dataset.get());
  const std::vector<int64_t> row(shape.begin() + (shape.empty() ? 0 : 1), shape.end());
  if (shape.empty() || row != space.shape) {
    throw h5::Failure(fmt::format("{}/{} has shape {}, the environment gives {}", where, key,
                                  ShapeText(shape), ShapeText(space.shape)));
  }
  if (shape[0] != steps) {
    throw h5::Failure(
        fmt::format("{}/{} has {} steps, the demo's actions {}", where, key, shape[0], steps));
  }
  return dataset;
}

}  // namespace

DemoSource OpenDemoSource(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw h5::Failure("no such demo file");
  DemoSource source;
  source.file = h5::OpenFile(path);
  if (!h5::Exists(source.file.get(), "data")) {
    throw h5::Failure("not a demo file (it has no /data group)");
  }
  source.data = h5::OpenGroup(source.file.get(), "data");
  const hid_t data = source.data.get();
  // file attributes (optional: robomimic's own files carry env_args instead)
  if (h5::HasAttribute(data, "env_kind"))
    source.env_kind = h5::ReadStringAttribute(data, "env_kind");
  if (h5::HasAttribute(data, "env_params")) {
    source.env_params = h5::ReadStringAttribute(data, "env_params");
  }
  // demo names in numeric order (robomimic may number from 0 or 1)
  std::vector<std::pair<int64_t, std::string>> numbered;
  for (std::string& name : h5::Children(data)) {
    const int64_t number = DemoNumber(name);
    if (number >= 0) numbered.emplace_back(number, std::move(name));
  }
  std::sort(numbered.begin(), numbered.end());
  for (auto& entry : numbered) source.demos.push_back(std::move(entry.second));
  // the total, summed from the demos when the file does not record it
  if (h5::HasAttribute(data, "total")) {
    source.total = h5::ReadIntAttribute(data, "total");
  } else {
    for (const std::string& name : source.demos) {
      h5::Handle demo = h5::OpenGroup(data, name);
      if (h5::HasAttribute(demo.get(), kNumSamples)) {
        source.total += h5::ReadIntAttribute(demo.get(), kNumSamples);
      }
    }
  }
  return source;
}

void WriteDemo(hid_t data, const std::string& name, const Episode& episode) {
  const int64_t length = episode.Length();
  const int64_t steps = length - 1;
  // robomimic's T transitions: obs 0..T-1, next_obs 1..T, the actions taken at obs
  h5::Handle demo = h5::CreateGroup(data, name);
  h5::Handle obs = h5::CreateGroup(demo.get(), "obs");
  h5::Handle next_obs = h5::CreateGroup(demo.get(), "next_obs");
  for (const auto& [key, t] : episode.observation) {
    if (t.size(0) != length) {
      throw h5::Failure(
          fmt::format("observation '{}' has {} steps, the actions {}", key, t.size(0), length));
    }
    h5::WriteTensor(obs.get(), key, t.narrow(0, 0, steps));
    h5::WriteTensor(next_obs.get(), key, t.narrow(0, 1, steps));
  }
  h5::WriteTensor(demo.get(), "actions", episode.action.narrow(0, 1, steps).to(torch::kFloat32));
  h5::WriteTensor(demo.get(), "rewards", episode.reward.narrow(0, 1, steps).to(torch::kFloat32));
  h5::WriteTensor(demo.get(), "dones", episode.is_last.narrow(0, 1, steps).to(torch::kUInt8));
  // attributes: length, how it ended, and the episode's metrics
  h5::WriteAttribute(demo.get(), kNumSamples, steps);
  const bool terminal = episode.is_terminal.defined() && episode.is_terminal[steps].item<bool>();
  h5::WriteAttribute(demo.get(), kTerminal, static_cast<int64_t>(terminal));
  for (const auto& [metric, value] : episode.metrics) {
    h5::WriteAttribute(demo.get(), metric, value);
  }
}

Episode ReadDemo(hid_t data, const std::string& name, const ObservationSpace& space) {
  h5::Handle demo = h5::OpenGroup(data, name);
  // the actions fix the number of transitions T
  if (!h5::Exists(demo.get(), "actions")) throw h5::Failure(fmt::format("{} has no actions", name));
  h5::Handle actions = h5::OpenDataset(demo.get(), "actions");
  const std::vector<int64_t> action_shape = h5::Shape(actions.get());
  if (action_shape.size() != 2 || action_shape[0] < 1) {
    throw h5::Failure(fmt::format("{} actions has shape {}, expected [T, A] with T >= 1", name,
                                  ShapeText(action_shape)));
  }
  const int64_t steps = action_shape[0];
  const int64_t length = steps + 1;
  Episode episode;
  // observations: obs gives 0..T-1, the last row of next_obs gives T
  for (const char* group : {"obs", "next_obs"}) {
    if (!h5::Exists(demo.get(), group)) {
      throw h5::Failure(fmt::format("{} has no {} group", name, group));
    }
  }
  h5::Handle obs = h5::OpenGroup(demo.get(), "obs");
  h5::Handle next_obs = h5::OpenGroup(demo.get(), "next_obs");
  for (const auto& [key, key_space] : space) {
    for (const hid_t group : {obs.get(), next_obs.get()}) {
      if (!h5::Exists(group, key)) {
        throw h5::Failure(fmt::format("{} has no observation '{}' (has: {})", name, key,
                                      fmt::join(h5::Children(group), ", ")));
      }
    }
    const std::string where = name + " ";
    h5::Handle first = OpenObservation(obs.get(), where + "obs", key, steps, key_space);
    h5::Handle next = OpenObservation(next_obs.get(), where + "next_obs", key, steps, key_space);
    torch::Tensor rows =
        torch::empty(WithRows(length, key_space.shape), torch::dtype(key_space.dtype));
    h5::ReadRows(first.get(), 0, rows.narrow(0, 0, steps));
    h5::ReadRows(next.get(), steps - 1, rows.narrow(0, steps, 1));
    episode.observation[key] = rows;
  }
  // actions and rewards, shifted by one step (zero at the reset step)
  episode.action = torch::zeros({length, action_shape[1]}, torch::kFloat32);
  h5::ReadRows(actions.get(), 0, episode.action.narrow(0, 1, steps));
  episode.reward = torch::zeros({length}, torch::kFloat32);
  ReadSteps(demo.get(), name, "rewards", episode.reward.narrow(0, 1, steps));
  // flags: first at 0, last from dones and always at L-1, terminal from the attribute
  torch::Tensor dones = torch::empty({steps}, torch::kUInt8);
  ReadSteps(demo.get(), name, "dones", dones);
  episode.is_first = torch::zeros({length}, torch::kBool);
  episode.is_first[0] = true;
  episode.is_last = torch::zeros({length}, torch::kBool);
  episode.is_last.narrow(0, 1, steps).copy_(dones);
  episode.is_last[length - 1] = true;
  episode.is_terminal = torch::zeros({length}, torch::kBool);
  if (h5::HasAttribute(demo.get(), kTerminal)) {
    episode.is_terminal[length - 1] = h5::ReadIntAttribute(demo.get(), kTerminal) != 0;
  }
  // metrics: every other scalar number attribute
  for (const std::string& attribute : h5::NumericAttributes(demo.get())) {
    if (attribute == kNumSamples || attribute == kTerminal) continue;
    episode.metrics[attribute] = h5::ReadDoubleAttribute(demo.get(), attribute);
  }
  return episode;
}

}  // namespace imitate::engine
