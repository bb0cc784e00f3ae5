#include "engine/checkpoint/checkpoint.h"

#include <fmt/format.h>
#include <torch/serialize.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kFormatVersion = 2;

// The trailer after the archive bytes: magic, payload size, CRC-32 of the payload.
constexpr char kMagic[8] = {'I', 'M', 'T', 'C', 'K', 'P', 'T', '2'};
struct Trailer {
  char magic[8];
  uint64_t size;
  uint64_t crc;
};

uint64_t Crc(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const size_t chunk = 1u << 30;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    size_t n = std::min(chunk, bytes.size() - at);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
  }
  return crc;
}

// the trainable modules of the components, by archive key
template <typename F>
void ForEachComponent(Agent& agent, F f) {
  f("encoder", agent.encoder ? agent.encoder->Module() : nullptr);
  f("dynamics", agent.dynamics ? agent.dynamics->Module() : nullptr);
  f("reward", agent.reward ? agent.reward->Module() : nullptr);
}

torch::Tensor TextTensor(const std::string& text) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(text.size())}, torch::kUInt8);
  if (!text.empty()) std::memcpy(t.data_ptr(), text.data(), text.size());
  return t;
}

std::string TensorText(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

// the archive bytes of a checkpoint file, checked against its trailer
std::string ReadPayload(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) throw DataError(fmt::format("{}: cannot read checkpoint", path));
  Trailer trailer;
  if (bytes.size() < sizeof(Trailer)) {
    throw DataError(fmt::format("{}: checkpoint truncated ({} bytes)", path, bytes.size()));
  }
  std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof(Trailer), sizeof(Trailer));
  if (std::memcmp(trailer.magic, kMagic, sizeof(kMagic)) != 0) {
    throw DataError(fmt::format("{}: not a checkpoint of this format, or truncated", path));
  }
  bytes.resize(bytes.size() - sizeof(Trailer));
  if (trailer.size != bytes.size() || trailer.crc != Crc(bytes)) {
    throw DataError(fmt::format("{}: checkpoint corrupt (checksum mismatch)", path));
  }
  return bytes;
}

// CRC-32 of the bytes of a tensor, continuing `crc`
uLong TensorCrc(const torch::Tensor& tensor, uLong crc) {
  torch::Tensor c = tensor.to(torch::kCPU).contiguous();
  const auto* data = static_cast<const Bytef*>(c.data_ptr());
  const size_t size = static_cast<size_t>(c.numel()) * c.element_size();
  for (size_t at = 0; at < size; at += 1u << 30) {
    crc = crc32(crc, data + at, static_cast<uInt>(std::min<size_t>(1u << 30, size - at)));
  }
  return crc;
}

// CRC-32 of `archive`'s tensors and their keys, depth first, sorted by key, without "generator".
// LibTorch's optimisers key their per-parameter state by the parameter's address ("0x..."),
// which differs between processes: those entries count without their keys, in sorted order of
// their own checksums.
uLong ArchiveCrc(torch::serialize::InputArchive& archive, uLong crc) {
  std::vector<std::string> keys = archive.keys();
  std::sort(keys.begin(), keys.end());
  std::vector<uLong> unkeyed;
  for (const std::string& key : keys) {
    if (key == "generator") continue;
    const bool address = key.rfind("0x", 0) == 0;
    uLong entry = address ? crc32(0L, Z_NULL, 0) : crc;
    if (!address) {
      entry =
          crc32(entry, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
    }
    torch::Tensor tensor;
    torch::serialize::InputArchive sub;
    if (archive.try_read(key, tensor)) {
      entry = TensorCrc(tensor, entry);
    } else if (archive.try_read(key, sub)) {
      entry = ArchiveCrc(sub, entry);
    }
    if (address) {
      unkeyed.push_back(entry);
    } else {
      crc = entry;
    }
  }
  std::sort(unkeyed.begin(), unkeyed.end());
  for (uLong entry : unkeyed) {
    crc = crc32(crc, reinterpret_cast<const Bytef*>(&entry), static_cast<uInt>(sizeof(entry)));
  }
  return crc;
}

}  // namespace

std::string PreviousCheckpoint(const std::string& path) { return path + ".previous"; }

std::string CheckpointBytes(Agent& agent, const CheckpointState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("format_version", torch::tensor(kFormatVersion));
  const Counters& c = state.counters;
  archive.write("counters", torch::tensor({c.updates, c.env_steps, c.episodes}));
  archive.write("engine_state", TextTensor(state.engine));
  ForEachComponent(agent, [&](const char* key, std::shared_ptr<torch::nn::Module> module) {
    if (!module) return;
    torch::serialize::OutputArchive sub;
    module->save(sub);
    archive.write(key, sub);
  });
  torch::serialize::OutputArchive optimizer;
  agent.optimizer->Save(optimizer);
  archive.write("optimizer", optimizer);
  std::ostringstream buffer;
  archive.save_to(buffer);
  return buffer.str();
}

void SaveCheckpoint(const std::string& path, Agent& agent, const CheckpointState& state,
                    bool keep_previous) {
  // the bytes and their trailer, written beside the target, then renamed over it
  const std::string bytes = CheckpointBytes(agent, state);
  Trailer trailer{};
  std::memcpy(trailer.magic, kMagic, sizeof(kMagic));
  trailer.size = bytes.size();
  trailer.crc = Crc(bytes);
  std::string tmp = fmt::format("{}.tmp{}", path, getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.write(reinterpret_cast<const char*>(&trailer), sizeof(trailer));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw DataError(fmt::format("{}: cannot write checkpoint", path));
    }
  }
  std::error_code ec;
  if (keep_previous && fs::exists(path)) fs::rename(path, PreviousCheckpoint(path), ec);
  if (!ec) fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw DataError(fmt::format("{}: cannot write checkpoint: {}", path, ec.message()));
  }
}

CheckpointState LoadCheckpoint(const std::string& path, Agent& agent) {
  if (!fs::is_regular_file(path)) throw DataError(fmt::format("{}: no such checkpoint", path));
  return LoadCheckpointBytes(ReadPayload(path), agent, path);
}

CheckpointState LoadCheckpointBytes(const std::string& bytes, Agent& agent,
                                    const std::string& path) {
  CheckpointState state;
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(bytes);
    archive.load_from(in);
    torch::Tensor version, values, engine;
    archive.read("format_version", version);
    if (version.item<int64_t>() != kFormatVersion) {
      throw DataError(fmt::format("{}: checkpoint format {} is not {}", path,
                                  version.item<int64_t>(), kFormatVersion));
    }
    archive.read("counters", values);
    state.counters.updates = values[0].item<int64_t>();
    state.counters.env_steps = values[1].item<int64_t>();
    state.counters.episodes = values[2].item<int64_t>();
    archive.read("engine_state", engine);
    state.engine = TensorText(engine);
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
  return state;
}

uint64_t AgentStateChecksum(Agent& agent) {
  const std::string bytes = CheckpointBytes(agent, CheckpointState{});
  torch::serialize::InputArchive archive;
  std::istringstream in(bytes);
  archive.load_from(in);
  return ArchiveCrc(archive, crc32(0L, Z_NULL, 0));
}

}  // namespace imitate::engine
