#include "engine/run/resume.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <toml++/toml.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
namespace {

std::string Hex(const torch::Tensor& bytes) {
  torch::Tensor c = bytes.contiguous();
  const auto* p = c.data_ptr<uint8_t>();
  std::string out;
  out.reserve(static_cast<size_t>(c.numel()) * 2);
  for (int64_t i = 0; i < c.numel(); ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

torch::Tensor Unhex(const std::string& text) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(text.size() / 2)}, torch::kUInt8);
  auto* p = t.data_ptr<uint8_t>();
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    p[i / 2] = static_cast<uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16));
  }
  return t;
}

std::string ShortestDouble(double v) { return fmt::format("{}", v); }

// every leaf of a TOML table as "key.path" -> its TOML text
void Flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, std::string>* out) {
  for (const auto& [key, node] : table) {
    std::string path =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const toml::table* sub = node.as_table()) {
      Flatten(*sub, path, out);
    } else {
      std::ostringstream os;
      node.visit([&os](auto&& v) { os << v; });
      (*out)[path] = os.str();
    }
  }
}

}  // namespace

std::string SerializeRunState(const RunState& s) {
  // one "key value" line each; metrics as "window NAME VALUE"
  std::string out = "imitate-run-state 1\n";
  out += "replay_rng " + s.replay_rng + "\n";
  out += "torch_rng " + s.torch_rng + "\n";
  out += "elapsed " + ShortestDouble(s.elapsed) + "\n";
  out += "best_score " + ShortestDouble(s.best_score) + "\n";
  out += fmt::format("last_eval_at {} {}\n", s.last_eval_updates, s.last_eval_env_steps);
  out += fmt::format("window_count {}\n", s.window_count);
  out += fmt::format("sizes {} {} {}\n", s.train_csv_size, s.eval_csv_size, s.jsonl_size);
  for (const auto& [k, v] : s.last_eval) out += "last_eval " + k + " " + ShortestDouble(v) + "\n";
  for (const auto& [k, v] : s.window) out += "window " + k + " " + ShortestDouble(v) + "\n";
  return out;
}

RunState ParseRunState(const std::string& text, const std::string& source) {
  RunState s;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (line != "imitate-run-state 1") {
    throw DataError(fmt::format("{}: no run state in the checkpoint", source));
  }
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, name;
    fields >> key;
    if (key == "replay_rng") {
      std::getline(fields >> std::ws, s.replay_rng);
    } else if (key == "torch_rng") {
      fields >> s.torch_rng;
    } else if (key == "elapsed") {
      fields >> s.elapsed;
    } else if (key == "best_score") {
      fields >> s.best_score;
    } else if (key == "last_eval_at") {
      fields >> s.last_eval_updates >> s.last_eval_env_steps;
    } else if (key == "window_count") {
      fields >> s.window_count;
    } else if (key == "sizes") {
      fields >> s.train_csv_size >> s.eval_csv_size >> s.jsonl_size;
    } else if (key == "last_eval" || key == "window") {
      double value = 0;
      fields >> name >> value;
      (key == "window" ? s.window : s.last_eval)[name] = value;
    }
    if (fields.fail()) throw DataError(fmt::format("{}: bad run-state line '{}'", source, line));
  }
  return s;
}

void CaptureRng(const std::mt19937_64& rng, RunState* state) {
  std::ostringstream os;
  os << rng;
  state->replay_rng = os.str();
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  state->torch_rng = Hex(generator.get_state());
}

void RestoreRng(const RunState& state, std::mt19937_64* rng) {
  std::istringstream is(state.replay_rng);
  is >> *rng;
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(Unhex(state.torch_rng));
}

void SaveEpisode(const std::string& run_dir, int64_t index, const Episode& episode) {
  torch::serialize::OutputArchive archive, observation, metrics;
  for (const auto& [key, value] : episode.observation) observation.write(key, value);
  archive.write("observation", observation);
  archive.write("action", episode.action);
  archive.write("reward", episode.reward);
  archive.write("is_first", episode.is_first);
  archive.write("is_last", episode.is_last);
  archive.write("is_terminal", episode.is_terminal);
  std::string names;
  std::vector<double> values;
  for (const auto& [k, v] : episode.metrics) {
    names += k + "\n";
    values.push_back(v);
  }
  torch::Tensor name_bytes = torch::empty({static_cast<int64_t>(names.size())}, torch::kUInt8);
  if (!names.empty()) std::memcpy(name_bytes.data_ptr(), names.data(), names.size());
  archive.write("metric_names", name_bytes);
  archive.write("metric_values", torch::tensor(values, torch::kFloat64));
  // beside the target, then renamed over it
  fs::create_directories(run_dir + "/replay");
  std::string path = fmt::format("{}/replay/{:06d}.pt", run_dir, index);
  std::string tmp = fmt::format("{}.tmp{}", path, getpid());
  archive.save_to(tmp);
  fs::rename(tmp, path);
}

Episode LoadEpisode(const std::string& run_dir, int64_t index) {
  std::string path = fmt::format("{}/replay/{:06d}.pt", run_dir, index);
  if (!fs::is_regular_file(path)) {
    throw DataError(fmt::format("{}: missing online episode {} of the replay", path, index));
  }
  Episode episode;
  try {
    torch::serialize::InputArchive archive, observation;
    archive.load_from(path);
    archive.read("observation", observation);
    for (const std::string& key : observation.keys()) {
      torch::Tensor value;
      observation.read(key, value);
      episode.observation[key] = value;
    }
    archive.read("action", episode.action);
    archive.read("reward", episode.reward);
    archive.read("is_first", episode.is_first);
    archive.read("is_last", episode.is_last);
    archive.read("is_terminal", episode.is_terminal);
    torch::Tensor names, values;
    archive.read("metric_names", names);
    archive.read("metric_values", values);
    std::istringstream in(std::string(static_cast<const char*>(names.data_ptr()),
                                      static_cast<size_t>(names.numel())));
    std::string name;
    for (int64_t i = 0; std::getline(in, name); ++i) {
      episode.metrics[name] = values[i].item<double>();
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw DataError(
        fmt::format("{}: cannot read episode: {}", path, what.substr(0, what.find('\n'))));
  }
  return episode;
}

std::vector<std::string> DifferingKeys(const std::string& resolved_a,
                                       const std::string& resolved_b) {
  std::map<std::string, std::string> a, b;
  Flatten(toml::parse(resolved_a), "", &a);
  Flatten(toml::parse(resolved_b), "", &b);
  std::vector<std::string> keys;
  for (const auto& [k, v] : a) {
    if (k != "threads" && (!b.count(k) || b[k] != v)) keys.push_back(k);
  }
  for (const auto& [k, v] : b) {
    if (k != "threads" && !a.count(k)) keys.push_back(k);
  }
  return keys;
}

std::vector<std::string> KeysDifferingFromRun(const std::string& run_dir,
                                              const std::string& resolved_now) {
  std::ifstream in(run_dir + "/resolved.toml");
  std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return DifferingKeys(before, resolved_now);
}

void TruncateFile(const std::string& path, int64_t size) {
  std::error_code ec;
  if (fs::exists(path, ec) && static_cast<int64_t>(fs::file_size(path, ec)) > size) {
    fs::resize_file(path, static_cast<uintmax_t>(size), ec);
    if (ec)
      throw DataError(fmt::format("{}: cannot cut back to {} bytes: {}", path, size, ec.message()));
  }
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

}  // namespace imitate::engine
