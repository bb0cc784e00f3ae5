#include "engine/data/demo_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/data/demo_layout.h"
#include "engine/data/hdf5.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/version.h"

namespace imitate::engine {
namespace {

// one `key = value` line per parameter, in key order
std::string ParamsToToml(const Params& params) {
  std::string text;
  for (const auto& [key, value] : params.values()) text += key + " = " + ToToml(value) + "\n";
  return text;
}

}  // namespace

struct DemoWriter::Impl {
  std::string path;
  std::string temp_path;
  h5::Handle file;
  h5::Handle data;
  int64_t count = 0;
  int64_t total = 0;
  bool closed = false;

  // a DataError naming the file
  [[noreturn]] void Fail(const std::string& what) const {
    throw DataError(fmt::format("{}: {}", path, what));
  }
};

DemoWriter::DemoWriter(const std::string& path, const std::string& env_kind,
                       const Params& env_params)
    : impl_(std::make_unique<Impl>()) {
  h5::SilenceErrors();
  impl_->path = path;
  impl_->temp_path = path + ".tmp";
  // the temp file, its /data group and the file-level attributes known now
  try {
    impl_->file = h5::CreateFile(impl_->temp_path);
    impl_->data = h5::CreateGroup(impl_->file.get(), "data");
    h5::WriteAttribute(impl_->data.get(), "env_kind", env_kind);
    h5::WriteAttribute(impl_->data.get(), "env_params", ParamsToToml(env_params));
  } catch (const h5::Failure& e) {
    impl_->Fail(fmt::format("cannot write {} ({})", impl_->temp_path, e.what()));
  }
}

DemoWriter::~DemoWriter() {
  if (!impl_ || impl_->closed) return;
  // abandoned: close the handles and remove the half-written temp file
  impl_->data.Reset();
  impl_->file.Reset();
  std::error_code ignored;
  std::filesystem::remove(impl_->temp_path, ignored);
}

void DemoWriter::Add(const Episode& episode) {
  if (impl_->closed) throw UsageError(fmt::format("{}: DemoWriter::Add after Close", impl_->path));
  const int64_t length = episode.Length();
  if (length < 2) {
    impl_->Fail(
        fmt::format("a demo needs at least one step after the reset, got {} steps", length));
  }
  const int64_t steps = length - 1;
  const std::string name = fmt::format("demo_{}", impl_->count);
  try {
    WriteDemo(impl_->data.get(), name, episode);
  } catch (const h5::Failure& e) {
    impl_->Fail(fmt::format("cannot write {}: {}", name, e.what()));
  }
  ++impl_->count;
  impl_->total += steps;
}

void DemoWriter::Close() {
  if (impl_->closed) return;
  // the totals, then close the file and move it under its final name
  try {
    h5::WriteAttribute(impl_->data.get(), "total", impl_->total);
    h5::WriteAttribute(impl_->data.get(), "imitate_version", std::string(IMITATE_SDK_VERSION));
  } catch (const h5::Failure& e) {
    impl_->Fail(fmt::format("cannot write {} ({})", impl_->temp_path, e.what()));
  }
  const bool closed = impl_->data.Reset() && impl_->file.Reset();
  if (!closed) impl_->Fail(fmt::format("cannot finish writing {}", impl_->temp_path));
  std::error_code error;
  std::filesystem::rename(impl_->temp_path, impl_->path, error);
  if (error) {
    impl_->Fail(fmt::format("cannot rename {} to it: {}", impl_->temp_path, error.message()));
  }
  impl_->closed = true;
}

DemoFileInfo ReadDemoInfo(const std::string& path) {
  h5::SilenceErrors();
  DemoFileInfo info;
  try {
    DemoSource source = OpenDemoSource(path);
    info.env_kind = source.env_kind;
    info.env_params = source.env_params;
    info.count = static_cast<int64_t>(source.demos.size());
    info.total = source.total;
  } catch (const h5::Failure& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  }
  return info;
}

std::vector<Episode> ReadDemos(const std::string& path, int64_t count, const std::string& env_kind,
                               const ObservationSpace& space) {
  h5::SilenceErrors();
  std::vector<Episode> episodes;
  try {
    DemoSource source = OpenDemoSource(path);
    // the environment kind (files without one, e.g. robomimic's own, are not checked)
    if (!env_kind.empty() && !source.env_kind.empty() && source.env_kind != env_kind) {
      throw h5::Failure(
          fmt::format("demos were made for environment '{}', this experiment uses '{}'",
                      source.env_kind, env_kind));
    }
    // how many
    const int64_t available = static_cast<int64_t>(source.demos.size());
    if (count > available) {
      throw DataError(fmt::format("{} holds {} demos, {} requested", path, available, count));
    }
    const int64_t n = count <= 0 ? available : count;
    episodes.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      episodes.push_back(ReadDemo(source.data.get(), source.demos[static_cast<size_t>(i)], space));
    }
  } catch (const h5::Failure& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  }
  return episodes;
}

}  // namespace imitate::engine
