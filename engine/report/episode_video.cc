#include "engine/report/episode_video.h"

#include <fmt/format.h>
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace imitate::engine {

// the file of one episode in a video folder (declared in video.h)
std::string EpisodeVideoPath(const std::string& dir, int64_t index, const std::string& ext) {
  std::string suffix = !ext.empty() && ext[0] == '.' ? ext.substr(1) : ext;
  return (std::filesystem::path(dir) / fmt::format("episode_{:04d}.{}", index, suffix)).string();
}

std::string StepCaption(int64_t step, const Metrics& metrics) {
  std::string caption = fmt::format("step {}", step);
  // task environments: the count and the names of the tasks done
  auto done = metrics.find("tasks_completed");
  if (done != metrics.end()) {
    caption += fmt::format("  tasks {}:", static_cast<int64_t>(done->second));
    for (const auto& [key, value] : metrics) {
      if (key.rfind("task_", 0) == 0 && value > 0.5) caption += " " + key.substr(5);
    }
    return caption;
  }
  // others: every metric
  for (const auto& [key, value] : metrics) caption += fmt::format("  {} {:.3g}", key, value);
  return caption;
}

EpisodeRecorder::EpisodeRecorder(std::string dir, int size, int fps, std::string ext)
    : dir_(std::move(dir)), size_(size), fps_(fps), ext_(std::move(ext)) {}

void EpisodeRecorder::Begin(int64_t index, Environment& env, const TimeStep& first) {
  last_path_ = EpisodeVideoPath(dir_, index, ext_);
  writer_ = std::make_unique<VideoWriter>(last_path_, size_, size_, fps_);
  step_ = 0;
  Frame(env, first);
}

void EpisodeRecorder::Add(Environment& env, const TimeStep& step) {
  if (!writer_) return;
  ++step_;
  Frame(env, step);
  if (step.is_last) {
    writer_->Close();
    writer_.reset();
  }
}

void EpisodeRecorder::Frame(Environment& env, const TimeStep& step) {
  // the environment's default camera, rendered at the video size
  torch::Tensor frame = env.Render("", size_, size_);
  writer_->AddFrame(frame, StepCaption(step_, step.metrics));
}

}  // namespace imitate::engine
