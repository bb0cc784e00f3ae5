#include "engine/run/predict.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/report/caption.h"
#include "engine/report/sinks.h"
#include "engine/report/video.h"
#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

constexpr int kVideoFps = 10;

// the state of every sequence at step `t` of a stacked [B, T, ...] state
LatentState StepOf(const LatentState& states, int64_t t) {
  auto pick = [t](const torch::Tensor& x) { return x.defined() ? x.select(1, t) : x; };
  return {pick(states.deter), pick(states.stoch), pick(states.mean), pick(states.std),
          pick(states.uncertainty)};
}

// the first `length` steps of every sequence, stacked: [B, length, ...]
torch::Tensor Stack(const std::vector<torch::Tensor>& parts, int64_t length) {
  std::vector<torch::Tensor> sliced;
  sliced.reserve(parts.size());
  for (const torch::Tensor& part : parts) sliced.push_back(part.slice(0, 0, length));
  return torch::stack(sliced);
}

// decoded images in [-0.5, 0.5] back to uint8 on the CPU
torch::Tensor ToPixels(const torch::Tensor& decoded) {
  return decoded.add(0.5).mul(255.0).round().clamp(0, 255).to(torch::kUInt8).cpu();
}

// mean squared error per element at each step: [B, T, ...] x2 -> [T], averaged over B
std::vector<double> StepMse(const torch::Tensor& decoded, const torch::Tensor& truth, int64_t from,
                            int64_t to) {
  torch::Tensor mse = (decoded - truth).square().flatten(2).mean(-1).mean(0);
  torch::Tensor steps = mse.slice(0, from, to).to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(steps.data_ptr<double>(), steps.data_ptr<double>() + steps.numel());
}

// `image` [H, W, 3] uint8 with a black band below it holding `text`
torch::Tensor WithCaption(const torch::Tensor& image, const std::string& text) {
  const int width = static_cast<int>(image.size(1));
  const int height = static_cast<int>(image.size(0));
  // the font grows with the image height, so size the band for the captioned height
  int band = CaptionBandHeight(width, height, text);
  for (int i = 0; i < 3; ++i) band = CaptionBandHeight(width, height + band, text);
  torch::Tensor out = torch::zeros({height + band, width, 3}, torch::kUInt8);
  out.slice(0, 0, height).copy_(image);
  DrawCaption(out.data_ptr<uint8_t>(), width, height + band, text);
  return out;
}

// uint8 [H, W, 3] scaled up `factor` times (nearest neighbour: the model's pixels stay sharp)
torch::Tensor ScaleUp(const torch::Tensor& image, int64_t factor) {
  if (factor == 1) return image.contiguous();
  return image.repeat_interleave(factor, 0).repeat_interleave(factor, 1).contiguous();
}

// The decoded image keys of one batch, as uint8 [B, T, H, W, 3] on the CPU.
struct ImageKey {
  std::string key;
  torch::Tensor truth;
  torch::Tensor reconstruction;
  torch::Tensor imagination;
};

// One video per sequence: a row of ground truth | reconstruction | imagination per image key,
// and a caption saying which steps are filtered (context) and which imagined.
std::vector<std::string> WriteVideos(const std::vector<ImageKey>& images,
                                     const PredictOptions& options) {
  std::vector<std::string> paths;
  const torch::Tensor& first = images.front().truth;
  const int64_t side = std::max(first.size(2), first.size(3));
  const int64_t factor = std::max<int64_t>(1, options.panel_size / side);
  const bool several = images.size() > 1;
  for (int64_t i = 0; i < first.size(0); ++i) {
    const std::string path = fmt::format("{}/demo_{}.mp4", options.video_dir, i);
    std::unique_ptr<VideoWriter> video;
    for (int64_t t = 0; t < first.size(1); ++t) {
      // the panels of each key, side by side; the keys one below the other
      std::vector<torch::Tensor> rows;
      for (const ImageKey& image : images) {
        const std::string prefix = several ? image.key + " " : "";
        rows.push_back(torch::cat(
            {WithCaption(ScaleUp(image.truth[i][t], factor), prefix + "truth"),
             WithCaption(ScaleUp(image.reconstruction[i][t], factor), prefix + "reconstruction"),
             WithCaption(ScaleUp(image.imagination[i][t], factor), prefix + "imagination")},
            1));
      }
      const std::string caption =
          t < options.context
              ? fmt::format("demo_{}  step {}  context (filtered)", i, t)
              : fmt::format("demo_{}  step {}  imagined +{}", i, t, t - options.context + 1);
      torch::Tensor frame = WithCaption(torch::cat(rows, 0), caption);
      if (!video) {
        video = std::make_unique<VideoWriter>(path, static_cast<int>(frame.size(1)),
                                              static_cast<int>(frame.size(0)), kVideoFps);
      }
      video->AddFrame(frame);
    }
    video->Close();
    paths.push_back(path);
  }
  return paths;
}

// The open-loop steps a picture shows: all of k = 1..H when H <= kStripColumns - 1, else that
// many spread evenly, the last included.
constexpr int64_t kStripColumns = 16;
std::vector<int64_t> StripSteps(int64_t horizon) {
  const int64_t shown = std::min(horizon, kStripColumns - 1);
  std::vector<int64_t> steps;
  for (int64_t j = 1; j <= shown; ++j) steps.push_back((j * horizon + shown - 1) / shown);
  return steps;
}

// One picture per sequence (demo_<i>.png): a column per step (the last context step, then
// open-loop steps), holding truth, reconstruction and imagination one below the other for each
// image key; captioned with the step. The still counterpart of the video, for papers and reports.
std::vector<std::string> WritePictures(const std::vector<ImageKey>& images,
                                       const PredictOptions& options) {
  std::vector<std::string> paths;
  const torch::Tensor& first = images.front().truth;
  const int64_t side = std::max(first.size(2), first.size(3));
  const int64_t factor = std::max<int64_t>(1, options.panel_size / (2 * side));
  std::vector<int64_t> steps{0};  // open-loop step 0 = the last context step
  for (int64_t k : StripSteps(options.horizon)) steps.push_back(k);
  for (int64_t i = 0; i < first.size(0); ++i) {
    std::vector<torch::Tensor> columns;
    for (int64_t k : steps) {
      const int64_t t = options.context - 1 + k;
      std::vector<torch::Tensor> panels;
      for (const ImageKey& image : images) {
        for (const torch::Tensor* source :
             {&image.truth, &image.reconstruction, &image.imagination}) {
          panels.push_back(ScaleUp((*source)[i][t], factor));
        }
      }
      columns.push_back(WithCaption(torch::cat(panels, 0), k == 0 ? "ctx" : fmt::format("+{}", k)));
    }
    const std::string keys = images.size() > 1 ? " (per image key)" : "";
    torch::Tensor picture =
        WithCaption(torch::cat(columns, 1).contiguous(),
                    fmt::format("demo_{}  rows{}: truth, reconstruction, imagination", i, keys));
    const std::string path = fmt::format("{}/demo_{}.png", options.video_dir, i);
    WritePng(path, picture.data_ptr<uint8_t>(), static_cast<int>(picture.size(1)),
             static_cast<int>(picture.size(0)));
    paths.push_back(path);
  }
  return paths;
}

}  // namespace

int64_t ResolveHorizon(const std::vector<Episode>& sequences, int64_t context, int64_t requested,
                       const std::string& source) {
  if (context < 1) throw UsageError(fmt::format("--context {}: must be >= 1", context));
  if (sequences.empty()) throw DataError(fmt::format("{}: no sequences to predict", source));
  // the shortest sequence bounds the horizon
  size_t shortest = 0;
  for (size_t i = 1; i < sequences.size(); ++i) {
    if (sequences[i].Length() < sequences[shortest].Length()) shortest = i;
  }
  const int64_t length = sequences[shortest].Length();
  if (context >= length) {
    throw DataError(fmt::format(
        "{}: demo_{} has {} steps; --context {} leaves none to predict (use a smaller --context)",
        source, shortest, length, context));
  }
  if (requested <= 0) return std::min(length - context, kDefaultMaxHorizon);
  if (context + requested > length) {
    throw DataError(fmt::format(
        "{}: demo_{} has {} steps, fewer than --context {} + --horizon {} (use --horizon <= {})",
        source, shortest, length, context, requested, length - context));
  }
  return requested;
}

std::vector<Episode> FromStep(const std::vector<Episode>& sequences, int64_t start,
                              const std::string& source) {
  if (start < 0) throw UsageError(fmt::format("--start {}: must be >= 0", start));
  std::vector<Episode> sliced;
  sliced.reserve(sequences.size());
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Episode& e = sequences[i];
    if (start >= e.Length() - 1) {
      throw DataError(fmt::format("{}: demo_{} has {} steps; --start {} leaves none to predict",
                                  source, i, e.Length(), start));
    }
    auto tail = [start](const torch::Tensor& x) { return x.slice(0, start).clone(); };
    Episode out;
    for (const auto& [key, value] : e.observation) out.observation.emplace(key, tail(value));
    out.action = tail(e.action);
    out.reward = tail(e.reward);
    out.is_first = tail(e.is_first);
    out.is_last = tail(e.is_last);
    out.is_terminal = tail(e.is_terminal);
    out.metrics = e.metrics;
    // a fresh start: the reset convention of a first step
    out.action[0].zero_();
    out.is_first[0] = true;
    sliced.push_back(std::move(out));
  }
  return sliced;
}

PredictResult PredictOpenLoop(Encoder& encoder, Dynamics& dynamics,
                              const std::vector<Episode>& sequences, const PredictOptions& options,
                              torch::Device device) {
  torch::NoGradGuard no_grad;
  const int64_t batch = static_cast<int64_t>(sequences.size());
  const int64_t context = options.context;
  const int64_t length = context + options.horizon;
  if (batch == 0 || context < 1 || options.horizon < 1) {
    throw UsageError("PredictOpenLoop: needs sequences, a context >= 1 and a horizon >= 1");
  }
  encoder.Module()->eval();
  dynamics.Module()->eval();

  // the sequences' first `length` steps as one batch on the device: [B, T, ...]
  TensorMap observation;
  for (const std::string& key : encoder.Keys()) {
    std::vector<torch::Tensor> parts;
    for (const Episode& sequence : sequences) {
      auto it = sequence.observation.find(key);
      if (it == sequence.observation.end()) {
        throw DataError(
            fmt::format("the demos have no observation '{}', which the encoder reads", key));
      }
      parts.push_back(it->second);
    }
    observation.emplace(key, Stack(parts, length).to(device));
  }
  std::vector<torch::Tensor> actions, firsts;
  for (const Episode& sequence : sequences) {
    actions.push_back(sequence.action);
    firsts.push_back(sequence.is_first);
  }
  const torch::Tensor action = Stack(actions, length).to(device, torch::kFloat32);
  const torch::Tensor is_first = Stack(firsts, length).to(device);

  // filter every step with the true observations: the posterior features [B, T, F]
  const torch::Tensor embedding = encoder.Encode(observation);
  const ObserveOutput filtered =
      dynamics.Observe(embedding, action, is_first, dynamics.Initial(batch, device));
  const torch::Tensor posterior = dynamics.Features(filtered.posterior);

  // from the last context posterior, imagine the rest with the recorded actions (the step to
  // t takes action t): the context's posterior features, then the priors [B, T, F]
  std::vector<torch::Tensor> features{posterior.slice(1, 0, context)};
  LatentState state = StepOf(filtered.posterior, context - 1);
  for (int64_t t = context; t < length; ++t) {
    state = dynamics.ImagineStep(state, action.select(1, t));
    features.push_back(dynamics.Features(state).unsqueeze(1));
  }
  const torch::Tensor imagined = torch::cat(features, 1);

  // decode both and compare every decoded key with the truth at the open-loop steps
  const TensorMap reconstruction = encoder.Decode(posterior);
  const TensorMap imagination = encoder.Decode(imagined);
  const TensorMap targets = encoder.Targets(observation);  // the truth in decoded units
  PredictResult result;
  result.sequences = batch;
  result.context = context;
  result.horizon = options.horizon;
  std::vector<ImageKey> images;
  for (const auto& [key, decoded] : reconstruction) {
    auto truth = observation.find(key);
    if (truth == observation.end()) {
      throw DataError(fmt::format("the encoder decodes '{}', which it does not read", key));
    }
    const torch::Tensor target = targets.at(key).to(decoded.device());
    const torch::Tensor& predicted = imagination.at(key);
    const torch::Tensor held = target.narrow(1, context - 1, 1).expand_as(target);
    result.errors.push_back({key, StepMse(decoded, target, context, length),
                             StepMse(predicted, target, context, length),
                             StepMse(held, target, context, length)});
    // images (uint8 [B, T, H, W, 3]) go into the videos
    if (truth->second.scalar_type() == torch::kUInt8 && truth->second.dim() == 5 &&
        truth->second.size(-1) == 3) {
      images.push_back({key, truth->second.cpu(), ToPixels(decoded), ToPixels(predicted)});
    }
  }
  if (!options.video_dir.empty() && !images.empty()) {
    result.videos = WriteVideos(images, options);
    result.pictures = WritePictures(images, options);
  }
  return result;
}

void WritePredictionCsv(const std::string& path, const PredictResult& result) {
  std::string text = "step,key,reconstruction_mse,prediction_mse,hold_last_mse\n";
  for (int64_t k = 0; k < result.horizon; ++k) {
    for (const KeyErrors& e : result.errors) {
      text += fmt::format("{},{},{},{},{}\n", k + 1, e.key, FormatCsv(e.reconstruction[k]),
                          FormatCsv(e.prediction[k]), FormatCsv(e.hold_last[k]));
    }
  }
  WriteFileAtomic(path, text);
}

std::string FormatPredictionTable(const PredictResult& result) {
  // the steps shown: 1-5, every 5th, and the last
  std::vector<int64_t> steps;
  for (int64_t k = 1; k <= result.horizon; ++k) {
    if (k <= 5 || k % 5 == 0 || k == result.horizon) steps.push_back(k);
  }
  // reconstruction, prediction and hold-last columns per key
  std::string table = fmt::format("{:>6}", "step");
  for (const KeyErrors& e : result.errors) {
    table += fmt::format("  {:>18}  {:>18}  {:>18}", e.key + " recon", e.key + " open-loop",
                         e.key + " hold-last");
  }
  table += "\n";
  auto row = [&table, &result](const std::string& label, auto value) {
    table += fmt::format("{:>6}", label);
    for (const KeyErrors& e : result.errors) {
      table += fmt::format("  {:>18.5g}  {:>18.5g}  {:>18.5g}", value(e.reconstruction),
                           value(e.prediction), value(e.hold_last));
    }
    table += "\n";
  };
  for (int64_t k : steps) {
    row(std::to_string(k), [k](const std::vector<double>& v) { return v[k - 1]; });
  }
  row("mean", [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
  });
  return table;
}

}  // namespace imitate::engine
