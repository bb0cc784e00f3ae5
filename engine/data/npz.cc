#include "engine/data/npz.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/data/npy.h"
#include "engine/data/zip.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

constexpr char kImage[] = "image";
constexpr char kPixels[] = "pixels";
constexpr char kLog[] = "log_";

// the per-step keys that are not observations
bool IsStepKey(const std::string& name) {
  for (const char* key : {"action", "reward", "is_first", "is_last", "is_terminal", "discount"}) {
    if (name == key) return true;
  }
  return false;
}

std::string ShapeText(const torch::Tensor& t) {
  return fmt::format("[{}]", fmt::join(t.sizes(), ", "));
}

// checks `t` is `name` with L rows and returns it
torch::Tensor Rows(const std::string& path, const std::string& name, const torch::Tensor& t,
                   int64_t length, int64_t rank) {
  if (t.dim() != rank || t.size(0) != length) {
    throw DataError(fmt::format("{}: '{}' has shape {}, expected {} dims with {} steps", path, name,
                                ShapeText(t), rank, length));
  }
  return t;
}

// a bool flag per step, or the default `fallback` with a note when the file has none
torch::Tensor Flag(const std::string& path, const std::map<std::string, torch::Tensor>& arrays,
                   const std::string& name, int64_t length, const torch::Tensor& fallback,
                   std::vector<std::string>& notes, const std::string& fallback_note) {
  auto it = arrays.find(name);
  if (it == arrays.end()) {
    notes.push_back(fmt::format("no '{}': {}", name, fallback_note));
    return fallback;
  }
  return Rows(path, name, it->second, length, 1).ne(0);
}

// `t` when defined, else `length` zeros of `dtype`
torch::Tensor OrZeros(const torch::Tensor& t, int64_t length, torch::Dtype dtype) {
  return t.defined() ? t : torch::zeros({length}, dtype);
}

}  // namespace

NpzArrays ReadNpz(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: no such file or not readable", path));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<zip::Entry> entries;
  try {
    entries = zip::Read(bytes);
  } catch (const zip::Failure& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  }
  // each entry is one array; numpy names them "<key>.npy"
  NpzArrays arrays;
  for (const zip::Entry& entry : entries) {
    std::string name = entry.name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    try {
      arrays.emplace_back(name, npy::Parse(entry.data));
    } catch (const npy::Failure& e) {
      throw DataError(fmt::format("{}: {}: {}", path, entry.name, e.what()));
    }
  }
  return arrays;
}

void WriteNpz(const std::string& path, const NpzArrays& arrays, bool compress) {
  std::string bytes;
  try {
    std::vector<zip::Entry> entries;
    for (const auto& [name, tensor] : arrays)
      entries.push_back({name + ".npy", npy::Format(tensor)});
    bytes = zip::Write(entries, compress);
  } catch (const std::runtime_error& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  }
  // a temp file renamed into place, so a failure leaves no half-written archive
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw DataError(fmt::format("{}: cannot write {}", path, temp));
  }
  std::error_code error;
  fs::rename(temp, path, error);
  if (error) throw DataError(fmt::format("{}: cannot rename {}: {}", path, temp, error.message()));
}

NpzEpisode ReadNpzEpisode(const std::string& path) {
  const NpzArrays list = ReadNpz(path);
  const std::map<std::string, torch::Tensor> arrays(list.begin(), list.end());
  NpzEpisode result;
  Episode& e = result.episode;
  std::vector<std::string>& notes = result.notes;
  // the actions fix the length L
  auto action = arrays.find("action");
  if (action == arrays.end()) {
    throw DataError(fmt::format("{}: no 'action' array (not a Dreamer episode?)", path));
  }
  if (action->second.dim() != 2 || action->second.size(0) < 1 ||
      !action->second.is_floating_point()) {
    throw DataError(fmt::format("{}: 'action' is {}{}, expected float32 [T, A]", path,
                                npy::Descr(action->second.scalar_type()),
                                ShapeText(action->second)));
  }
  const int64_t length = action->second.size(0);
  e.action = action->second.to(torch::kFloat32);
  // reward
  auto reward = arrays.find("reward");
  if (reward == arrays.end()) throw DataError(fmt::format("{}: no 'reward' array", path));
  e.reward = Rows(path, "reward", reward->second, length, 1).to(torch::kFloat32);
  for (const auto& [name, t] : {*action, *reward}) {
    if (t.scalar_type() != torch::kFloat32) {
      notes.push_back(fmt::format("'{}' {} read as float32", name, npy::Descr(t.scalar_type())));
    }
  }
  // flags: defaults for files without them, is_terminal from an older file's discount
  torch::Tensor first = torch::zeros({length}, torch::kBool), last = first.clone();
  first[0] = true;
  last[length - 1] = true;
  e.is_first = Flag(path, arrays, "is_first", length, first, notes, "true at step 0 only");
  e.is_last = Flag(path, arrays, "is_last", length, last, notes, "true at the last step only");
  auto discount = arrays.find("discount");
  if (arrays.count("is_terminal") == 0 && discount != arrays.end()) {
    e.is_terminal = Rows(path, "discount", discount->second, length, 1).eq(0);
    notes.push_back("is_terminal read from 'discount' (terminal where it is 0)");
  } else {
    e.is_terminal = Flag(path, arrays, "is_terminal", length, torch::zeros({length}, torch::kBool),
                         notes, "never terminal");
    if (discount != arrays.end()) notes.push_back("left out 'discount' (is_terminal is present)");
  }
  // observations (image becomes pixels), metrics from scalar log_ keys, the rest left out
  if (arrays.count(kImage) && arrays.count(kPixels)) {
    throw DataError(fmt::format("{}: holds both 'image' and 'pixels'", path));
  }
  for (const auto& [name, t] : list) {
    if (IsStepKey(name)) continue;
    if (name.rfind(kLog, 0) == 0) {
      if (t.dim() == 0) {
        e.metrics[name.substr(4)] = t.item<double>();
      } else {
        notes.push_back(fmt::format("left out '{}' (a per-step log)", name));
      }
    } else if (name == kImage) {
      if (t.scalar_type() != torch::kUInt8 || t.dim() != 4) {
        throw DataError(fmt::format("{}: 'image' is {}{}, expected uint8 [T, H, W, C]", path,
                                    npy::Descr(t.scalar_type()), ShapeText(t)));
      }
      e.observation[kPixels] = Rows(path, name, t, length, 4);
    } else if (t.dim() >= 1 && t.size(0) == length) {
      e.observation[name] = t;
    } else {
      notes.push_back(
          fmt::format("left out '{}' (shape {}, not {} steps)", name, ShapeText(t), length));
    }
  }
  return result;
}

void WriteNpzEpisode(const std::string& path, const Episode& episode) {
  const int64_t length = episode.Length();
  NpzArrays arrays;
  // observations first, pixels as image; names that would read back differently are refused
  for (const auto& [key, t] : episode.observation) {
    if (key == kImage || IsStepKey(key) || key.rfind(kLog, 0) == 0) {
      throw DataError(fmt::format("{}: observation '{}' has a reserved name", path, key));
    }
    arrays.emplace_back(key == kPixels ? kImage : key, t);
  }
  arrays.emplace_back("action", episode.action.to(torch::kFloat32));
  arrays.emplace_back("reward",
                      OrZeros(episode.reward, length, torch::kFloat32).to(torch::kFloat32));
  arrays.emplace_back("is_first", OrZeros(episode.is_first, length, torch::kBool).to(torch::kBool));
  arrays.emplace_back("is_last", OrZeros(episode.is_last, length, torch::kBool).to(torch::kBool));
  arrays.emplace_back("is_terminal",
                      OrZeros(episode.is_terminal, length, torch::kBool).to(torch::kBool));
  for (const auto& [metric, value] : episode.metrics) {
    arrays.emplace_back(kLog + metric, torch::tensor(value, torch::kFloat64));
  }
  WriteNpz(path, arrays, /*compress=*/true);
}

std::string RobomimicLoss(const Episode& episode) {
  const int64_t length = episode.Length();
  if (length < 2) return "it has no step after the reset";
  if (episode.action[0].ne(0).any().item<bool>()) {
    return "action[0] is not zero (expected Dreamer's convention: action[t] led to observation t)";
  }
  if (episode.reward[0].item<float>() != 0) return "reward[0] is not zero";
  torch::Tensor first = torch::zeros({length}, torch::kBool);
  first[0] = true;
  if (!episode.is_first.equal(first)) return "is_first is not true at step 0 only";
  if (!episode.is_last[length - 1].item<bool>()) return "is_last is false at the last step";
  if (episode.is_terminal.narrow(0, 0, length - 1).any().item<bool>()) {
    return "is_terminal is true before the last step";
  }
  for (const auto& [key, t] : episode.observation) {
    if (t.scalar_type() == torch::kBool) return fmt::format("observation '{}' is bool", key);
  }
  return "";
}

std::vector<std::string> ListNpzFiles(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) throw DataError(fmt::format("{}: no such folder", dir));
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file(error) && entry.path().extension() == ".npz") {
      files.push_back(entry.path().string());
    }
  }
  if (error) throw DataError(fmt::format("{}: cannot list: {}", dir, error.message()));
  if (files.empty()) throw DataError(fmt::format("{}: no .npz episodes in this folder", dir));
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return fs::path(a).filename() < fs::path(b).filename();
  });
  return files;
}

std::string NpzEpisodeName(int64_t index, int64_t steps) {
  return fmt::format("episode_{:06d}-{}.npz", index, steps);
}

}  // namespace imitate::engine
