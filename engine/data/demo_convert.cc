#include "engine/data/demo_convert.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <hdf5.h>

#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "engine/data/demo_layout.h"
#include "engine/data/hdf5.h"
#include "engine/data/npz.h"
#include "imitate/sdk/errors.h"
#include "imitate/sdk/params.h"

namespace imitate::engine {
namespace {

namespace fs = std::filesystem;

constexpr char kNumSamples[] = "num_samples";
constexpr char kTerminal[] = "terminal";

// the tensor dtype of a dataset's stored type (unsigned integers widen to a signed type)
torch::Dtype DatasetDtype(hid_t dataset) {
  h5::Handle type(H5Dget_type(dataset), H5Tclose, "cannot read a dataset type");
  const size_t size = H5Tget_size(type.get());
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class == H5T_FLOAT) {
    if (size == 2) return torch::kFloat16;
    if (size == 4) return torch::kFloat32;
    if (size == 8) return torch::kFloat64;
  } else if (type_class == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type.get()) == H5T_SGN_2;
    if (size == 1) return is_signed ? torch::kInt8 : torch::kUInt8;
    if (size == 2) return is_signed ? torch::kInt16 : torch::kInt32;
    if (size == 4) return is_signed ? torch::kInt32 : torch::kInt64;
    if (size == 8) return torch::kInt64;
  }
  throw h5::Failure("a dataset has a type other than a number");
}

// the dtype and per-step shape of a dataset [T, ...]
Space StepSpace(hid_t group, const std::string& name) {
  h5::Handle dataset = h5::OpenDataset(group, name);
  const std::vector<int64_t> shape = h5::Shape(dataset.get());
  if (shape.empty()) throw h5::Failure(fmt::format("{} has no time dimension", name));
  const double inf = std::numeric_limits<double>::infinity();
  return Space{DatasetDtype(dataset.get()), {shape.begin() + 1, shape.end()}, -inf, inf};
}

// the action size and observation keys, dtypes and shapes of an episode, for comparing two
std::string Signature(const Episode& e) {
  std::string text = fmt::format("action {}", fmt::join(e.action.sizes().slice(1), "x"));
  for (const auto& [key, t] : e.observation) {
    text += fmt::format(", {} {} {}", key, c10::toString(t.scalar_type()),
                        fmt::join(t.sizes().slice(1), "x"));
  }
  return text;
}

}  // namespace

DemoFileSummary SummarizeDemos(const std::string& path) {
  h5::SilenceErrors();
  DemoFileSummary summary;
  try {
    DemoSource source = OpenDemoSource(path);
    summary.info = DemoFileInfo{source.env_kind, source.env_params,
                                static_cast<int64_t>(source.demos.size()), source.total};
    for (const std::string& name : source.demos) {
      h5::Handle demo = h5::OpenGroup(source.data.get(), name);
      // keys, dtypes and shapes from the first demo
      if (summary.demos.empty()) {
        summary.action = StepSpace(demo.get(), "actions");
        h5::Handle obs = h5::OpenGroup(demo.get(), "obs");
        for (const std::string& key : h5::Children(obs.get())) {
          summary.observations[key] = StepSpace(obs.get(), key);
        }
      }
      // length, ending and metrics of each
      DemoSummary entry{name, 0, false, {}};
      h5::Handle actions = h5::OpenDataset(demo.get(), "actions");
      entry.steps = h5::Shape(actions.get()).at(0);
      if (h5::HasAttribute(demo.get(), kTerminal)) {
        entry.terminal = h5::ReadIntAttribute(demo.get(), kTerminal) != 0;
      }
      for (const std::string& attribute : h5::NumericAttributes(demo.get())) {
        if (attribute == kNumSamples || attribute == kTerminal) continue;
        entry.metrics[attribute] = h5::ReadDoubleAttribute(demo.get(), attribute);
      }
      summary.demos.push_back(std::move(entry));
    }
  } catch (const h5::Failure& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  }
  return summary;
}

ConvertResult ConvertNpzToDemos(const std::vector<std::string>& files, const std::string& out,
                                const std::string& env_kind) {
  ConvertResult result;
  DemoWriter writer(out, env_kind, Params());
  std::string first_signature;
  for (const std::string& file : files) {
    // one episode at a time: readable, like the first one, and storable exactly
    NpzEpisode npz = ReadNpzEpisode(file);
    const std::string signature = Signature(npz.episode);
    if (first_signature.empty()) first_signature = signature;
    if (signature != first_signature) {
      throw DataError(
          fmt::format("{}: has {}, the first episode {}", file, signature, first_signature));
    }
    const std::string loss = RobomimicLoss(npz.episode);
    if (!loss.empty()) {
      throw DataError(fmt::format("{}: cannot be stored exactly as a demo: {}", file, loss));
    }
    for (const std::string& note : npz.notes) result.notes.push_back(file + ": " + note);
    writer.Add(npz.episode);
    ++result.count;
    result.steps += npz.episode.Length() - 1;
  }
  writer.Close();
  return result;
}

ConvertResult ConvertDemosToNpz(const std::string& path, const std::string& out_dir) {
  // the demos' keys, and a new or empty folder for the episodes
  const DemoFileSummary summary = SummarizeDemos(path);
  if (summary.demos.empty()) throw DataError(fmt::format("{}: holds no demos", path));
  std::error_code error;
  if (fs::exists(out_dir, error) &&
      !(fs::is_directory(out_dir, error) && fs::is_empty(out_dir, error))) {
    throw DataError(fmt::format("{}: exists and is not an empty folder", out_dir));
  }
  fs::create_directories(out_dir, error);
  if (error) throw DataError(fmt::format("{}: cannot create: {}", out_dir, error.message()));
  // one demo at a time
  ConvertResult result;
  h5::SilenceErrors();
  try {
    DemoSource source = OpenDemoSource(path);
    for (const std::string& name : source.demos) {
      const Episode episode = ReadDemo(source.data.get(), name, summary.observations);
      const std::string file =
          (fs::path(out_dir) / NpzEpisodeName(result.count, episode.Length() - 1)).string();
      WriteNpzEpisode(file, episode);
      ++result.count;
      result.steps += episode.Length() - 1;
    }
  } catch (const h5::Failure& e) {
    throw DataError(fmt::format("{}: {}", path, e.what()));
  }
  return result;
}

}  // namespace imitate::engine
