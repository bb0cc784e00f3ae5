#include "engine/checkpoint/checkpoint.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

constexpr int64_t kFormatVersion = 1;

// the trainable modules of the components, by archive key
template <typename F>
void ForEachComponent(Agent& agent, F f) {
  f("encoder", agent.encoder ? agent.encoder->Module() : nullptr);
  f("dynamics", agent.dynamics ? agent.dynamics->Module() : nullptr);
  f("reward", agent.reward ? agent.reward->Module() : nullptr);
}

}  // namespace

void SaveCheckpoint(const std::string& path, Agent& agent, const Counters& counters) {
  torch::serialize::OutputArchive archive;
  archive.write("format_version", torch::tensor(kFormatVersion));
  archive.write("counters",
                torch::tensor({counters.updates, counters.env_steps, counters.episodes}));
  ForEachComponent(agent, [&](const char* key, std::shared_ptr<torch::nn::Module> module) {
    if (!module) return;
    torch::serialize::OutputArchive sub;
    module->save(sub);
    archive.write(key, sub);
  });
  torch::serialize::OutputArchive optimizer;
  agent.optimizer->Save(optimizer);
  archive.write("optimizer", optimizer);

  // write beside the target, then rename over it
  std::string tmp = fmt::format("{}.tmp{}", path, getpid());
  try {
    archive.save_to(tmp);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw DataError(fmt::format("{}: cannot write checkpoint: {}", path, e.what()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw DataError(fmt::format("{}: cannot write checkpoint: {}", path, ec.message()));
  }
}

Counters LoadCheckpoint(const std::string& path, Agent& agent) {
  if (!std::filesystem::is_regular_file(path)) {
    throw DataError(fmt::format("{}: no such checkpoint", path));
  }
  Counters counters;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor version, values;
    archive.read("format_version", version);
    if (version.item<int64_t>() != kFormatVersion) {
      throw DataError(fmt::format("{}: checkpoint format {} is not {}", path,
                                  version.item<int64_t>(), kFormatVersion));
    }
    archive.read("counters", values);
    counters.updates = values[0].item<int64_t>();
    counters.env_steps = values[1].item<int64_t>();
    counters.episodes = values[2].item<int64_t>();
    ForEachComponent(agent, [&](const char* key, std::shared_ptr<torch::nn::Module> module) {
      if (!module) return;
      torch::serialize::InputArchive sub;
      archive.read(key, sub);
      module->load(sub);
    });
    torch::serialize::InputArchive optimizer;
    archive.read("optimizer", optimizer);
    agent.optimizer->Load(optimizer);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw DataError(
        fmt::format("{}: cannot read checkpoint: {}", path, what.substr(0, what.find('\n'))));
  }
  return counters;
}

}  // namespace imitate::engine
